// `xksctl audit ...`: forwards to the audit room's CLI entry points (proxy/audit/audit_cli.h),
// so `xksctl audit` and the standalone `xks-audit` behave identically.

#include "tools/xksctl/commands.h"

#ifdef XKSCTL_HAVE_AUDIT
#include <algorithm>

#include "proxy/audit/audit_cli.h"
#include "tools/xksctl/audit_signer.h"
#endif

namespace xks::xksctl {

#ifdef XKSCTL_HAVE_AUDIT
namespace {

using AuditEntry = int (*)(const std::vector<std::string>&, std::ostream&, std::ostream&);

Command Forward(std::string name, std::string synopsis, std::string description, AuditEntry entry) {
  Command c{
      "audit", std::move(name), std::move(synopsis), std::move(description), {}, 0, 0, nullptr,
      true};
  c.run = [entry](Context& ctx, const ParsedArgs& args) {
    std::vector<std::string> forwarded = args.positionals_;
    if (ctx.json) forwarded.push_back("--json");
    // The audit CLI uses the same codes: 0 ok, 1 verification failed, 2 usage or I/O error.
    return entry(forwarded, *ctx.out, *ctx.err);
  };
  return c;
}

// With --key-file (or --help) it is the audit CLI's own command. Without, the signer that the
// configuration's audit.signer names (a key file or an HSM key), so an operator with --config at
// hand need not repeat where the key lives.
Command PublicKeyCommand() {
  Command c = Forward("public-key", "[--key-file KEY]",
                      "Prints the audit signing key's public key (PEM) and key id: of KEY, or of "
                      "the configuration's audit.signer (file or pkcs11).",
                      audit::RunAuditPublicKey);
  c.run = [forward = c.run](Context& ctx, const ParsedArgs& args) {
    const auto& raw = args.positionals_;
    const bool own_key = std::any_of(raw.begin(), raw.end(), [](const std::string& a) {
      return a == "--key-file" || a.rfind("--key-file=", 0) == 0 || a == "--help" || a == "-h";
    });
    if (own_key || ctx.config_path.empty()) return forward(ctx, args);
    bool json = ctx.json;  // raw arguments: a --json after the command words arrives here
    for (const std::string& arg : raw) {
      if (arg != "--json") throw UsageError("unexpected argument " + arg);
      json = true;
    }
    auto store = ConfigStore::Open(ctx.config_path);
    auto signer = OpenConfiguredAuditSigner(*store);
    audit::PrintSignerPublicKey(*signer, json, *ctx.out);
    return kExitOk;
  };
  return c;
}

}  // namespace

std::vector<Command> AuditCommands() {
  return {
      Forward("verify", "--public-key PEM [--public-key PEM ...] [--allow-unsigned-tail] FILE...",
              "Verifies audit files (hash chain, checkpoint signatures, gaps). Exit 1 on any "
              "finding.",
              audit::RunAuditVerify),
      Forward("verify-erasure", "CERT --public-key PEM [--public-key PEM ...] [AUDIT FILE...]",
              "Verifies an erasure certificate: its signature, the shred event in the audit "
              "chain, the signed checkpoint covering it, and that no crypto request for the "
              "tenant or its keys succeeded afterwards. Exit 1 on any finding.",
              audit::RunAuditVerifyErasure),
      PublicKeyCommand(),
      Forward("export", "--tenant T -o OUT [--redacted] FILE...",
              "Writes a tenant-complete export: the tenant's records and a proof per checkpoint "
              "that none is missing.",
              audit::RunAuditExport),
      Forward("keygen", "--type p256|ed25519 -o FILE",
              "Creates a new audit signing key file (0600).", audit::RunAuditKeygen),
  };
}
#else
std::vector<Command> AuditCommands() { return {}; }
#endif

}  // namespace xks::xksctl
