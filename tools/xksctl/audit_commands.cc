// `xksctl audit ...`: forwards to the audit room's CLI entry points (proxy/audit/audit_cli.h),
// so `xksctl audit` and the standalone `xks-audit` behave identically.

#include "tools/xksctl/commands.h"

#ifdef XKSCTL_HAVE_AUDIT
#include "proxy/audit/audit_cli.h"
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

}  // namespace

std::vector<Command> AuditCommands() {
  return {
      Forward("verify", "--public-key PEM [--public-key PEM ...] [--allow-unsigned-tail] FILE...",
              "Verifies audit files (hash chain, checkpoint signatures, gaps). Exit 1 on any "
              "finding.",
              audit::RunAuditVerify),
      Forward("public-key", "--key-file KEY",
              "Prints the audit signing key's public key (PEM) and key id.",
              audit::RunAuditPublicKey),
      Forward("export", "--tenant T -o OUT FILE...",
              "Writes a per-tenant export (other tenants' records redacted, still verifiable).",
              audit::RunAuditExport),
      Forward("keygen", "--type p256|ed25519 -o FILE",
              "Creates a new audit signing key file (0600).", audit::RunAuditKeygen),
  };
}
#else
std::vector<Command> AuditCommands() { return {}; }
#endif

}  // namespace xks::xksctl
