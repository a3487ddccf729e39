#include "proxy/audit/audit_cli.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "proxy/audit/audit_verifier.h"
#include "proxy/audit/checkpoint_signer.h"
#include "proxy/audit/erasure_verifier.h"

namespace xks::audit {
namespace {

constexpr char kVerifyHelp[] =
    "usage: verify [--json] [--allow-unsigned-tail] --public-key PEM [--public-key PEM ...] "
    "FILE...\n"
    "Verifies audit log files (or per-tenant exports): hash chain across files, sequence\n"
    "numbers, and every checkpoint signature against the given public keys.\n"
    "Exit: 0 verified, 1 verification failed (or unsigned tail without\n"
    "--allow-unsigned-tail), 2 usage or I/O error.\n";
constexpr char kVerifyErasureHelp[] =
    "usage: verify-erasure CERT --public-key PEM [--public-key PEM ...] [--json] [FILE...]\n"
    "Verifies an erasure certificate (xksctl tenant shred / key shred): its signature; with the\n"
    "audit files (the proxy's and xksctl's), the shred event that records it, the signed\n"
    "checkpoint covering that event, their agreement, and that no crypto request for the\n"
    "tenant or its keys succeeded after it (docs/erasure-verification.md).\n"
    "Exit: 0 verified, 1 findings, 2 usage or unreadable input.\n";
constexpr char kPublicKeyHelp[] =
    "usage: public-key --key-file KEY [--json]\n"
    "Prints the PEM public key and key id of a checkpoint signing key file.\n"
    "Exit: 0 ok, 2 usage or I/O error.\n";
constexpr char kExportHelp[] =
    "usage: export --tenant TENANT -o|--output OUT [--redacted] [--json] FILE...\n"
    "Writes a tenant-complete export: TENANT's records, every checkpoint, and with each\n"
    "checkpoint the proof that it signed TENANT's chain as those records give it, so `verify`\n"
    "proves to the tenant that no record of its own is missing. Nothing of other tenants but\n"
    "opaque hashes. --redacted: the older form for logs written before tenant chains (all\n"
    "checkpoints and file-starts, the digest of every other record; no completeness proof).\n"
    "Exit: 0 ok, 2 usage or I/O error.\n";
constexpr char kKeygenHelp[] =
    "usage: keygen --type p256|ed25519 -o|--output FILE [--json]\n"
    "Generates a checkpoint signing key (PKCS#8 PEM, mode 0600; never overwrites).\n"
    "Exit: 0 ok, 2 usage or I/O error.\n";
constexpr char kMainHelp[] =
    "usage: xks-audit COMMAND [ARGS]\n"
    "       xks-audit --version | --help\n"
    "commands: verify, verify-erasure, public-key, export, keygen (each accepts --help)\n";

// Minimal option scanner: flags, options with one value, and positionals.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::string> flags;
  std::string error;

  bool Has(const std::string& flag) const {
    for (const auto& f : flags) {
      if (f == flag) return true;
    }
    return false;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : options) {
      if (k == name) out.push_back(v);
    }
    return out;
  }
  std::string One(const std::string& name) const {
    auto all = All(name);
    return all.empty() ? std::string() : all.back();
  }
};

Args Parse(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
           const std::vector<std::string>& flags) {
  Args a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    bool is_value_opt = std::find(with_value.begin(), with_value.end(), s) != with_value.end();
    bool is_flag = std::find(flags.begin(), flags.end(), s) != flags.end();
    if (is_value_opt) {
      if (i + 1 >= args.size()) {
        a.error = s + " needs a value";
        return a;
      }
      a.options.emplace_back(s, args[++i]);
    } else if (is_flag) {
      a.flags.push_back(s);
    } else if (s.size() > 1 && s[0] == '-') {
      a.error = "unknown option " + s;
      return a;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int Usage(std::ostream& err, const std::string& problem, const char* help) {
  err << "error: " << problem << "\n" << help;
  return kExitUsage;
}

bool ReadText(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

// Reads every --public-key file; false (after printing why: none given, or one unusable) when
// the command must exit with kExitUsage.
bool LoadKeys(const Args& a, const char* help, std::vector<VerificationKey>& keys,
              std::ostream& err) {
  const std::vector<std::string> key_files = a.All("--public-key");
  if (key_files.empty()) {
    Usage(err, "at least one --public-key is required", help);
    return false;
  }
  for (const std::string& kf : key_files) {
    std::string pem;
    if (!ReadText(kf, pem)) {
      err << "error: " << kf << ": cannot read\n";
      return false;
    }
    auto key = ParseVerificationKey(pem);
    if (!key.ok()) {
      err << "error: " << kf << ": " << key.error().ToString() << "\n";
      return false;
    }
    keys.push_back(std::move(key).value());
  }
  return true;
}

}  // namespace

int RunAuditVerify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = Parse(args, {"--public-key"}, {"--json", "--allow-unsigned-tail", "--help", "-h"});
  if (a.Has("--help") || a.Has("-h")) {
    out << kVerifyHelp;
    return kExitOk;
  }
  if (!a.error.empty()) return Usage(err, a.error, kVerifyHelp);
  if (a.positional.empty()) return Usage(err, "no audit files given", kVerifyHelp);
  std::vector<VerificationKey> keys;
  if (!LoadKeys(a, kVerifyHelp, keys, err)) return kExitUsage;
  VerifyReport report = VerifyAuditFiles(a.positional, keys);
  if (a.Has("--json")) {
    out << report.ToJson().dump(2) << "\n";
  } else {
    out << report.ToText();
  }
  for (const VerifyFinding& f : report.findings) {
    if (f.kind == FindingKind::kIo) return kExitUsage;
  }
  if (report.Tampered()) return kExitVerifyFailed;
  if (!report.Ok() && !a.Has("--allow-unsigned-tail")) return kExitVerifyFailed;
  return kExitOk;
}

int RunAuditVerifyErasure(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) {
  Args a = Parse(args, {"--public-key"}, {"--json", "--help", "-h"});
  if (a.Has("--help") || a.Has("-h")) {
    out << kVerifyErasureHelp;
    return kExitOk;
  }
  if (!a.error.empty()) return Usage(err, a.error, kVerifyErasureHelp);
  if (a.positional.empty()) return Usage(err, "no certificate given", kVerifyErasureHelp);
  std::vector<VerificationKey> keys;
  if (!LoadKeys(a, kVerifyErasureHelp, keys, err)) return kExitUsage;
  const std::string& cert_path = a.positional[0];
  std::string text;
  if (!ReadText(cert_path, text)) {
    err << "error: " << cert_path << ": cannot read\n";
    return kExitUsage;
  }
  nlohmann::json cert = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (cert.is_discarded()) {
    err << "error: " << cert_path << ": not JSON\n";
    return kExitUsage;
  }
  std::vector<std::string> files(a.positional.begin() + 1, a.positional.end());
  ErasureReport report = VerifyErasure(cert, keys, files);
  out << (a.Has("--json") ? report.ToJson().dump(2) + "\n" : report.ToText());
  if (report.io_error) return kExitUsage;
  return report.Ok() ? kExitOk : kExitVerifyFailed;
}

int RunAuditPublicKey(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = Parse(args, {"--key-file"}, {"--json", "--help", "-h"});
  if (a.Has("--help") || a.Has("-h")) {
    out << kPublicKeyHelp;
    return kExitOk;
  }
  if (!a.error.empty()) return Usage(err, a.error, kPublicKeyHelp);
  if (a.One("--key-file").empty() || !a.positional.empty()) {
    return Usage(err, "exactly one --key-file is required", kPublicKeyHelp);
  }
  auto signer = FileCheckpointSigner::Load(a.One("--key-file"));
  if (!signer.ok()) {
    err << "error: " << signer.error().ToString() << "\n";
    return kExitUsage;
  }
  PrintSignerPublicKey(*signer.value(), a.Has("--json"), out);
  return kExitOk;
}

void PrintSignerPublicKey(const CheckpointSigner& s, bool json, std::ostream& out) {
  if (json) {
    out << nlohmann::json{{"keyId", s.key_id()},
                          {"algorithm", s.algorithm()},
                          {"publicKeyPem", s.PublicKeyPem()}}
               .dump(2)
        << "\n";
  } else {
    out << s.PublicKeyPem() << "# key id: " << s.key_id() << "\n# algorithm: " << s.algorithm()
        << "\n";
  }
}

int RunAuditExport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = Parse(args, {"--tenant", "-o", "--output"}, {"--json", "--redacted", "--help", "-h"});
  if (a.Has("--help") || a.Has("-h")) {
    out << kExportHelp;
    return kExitOk;
  }
  if (!a.error.empty()) return Usage(err, a.error, kExportHelp);
  std::string tenant = a.One("--tenant");
  std::string output = a.One("-o").empty() ? a.One("--output") : a.One("-o");
  if (tenant.empty()) return Usage(err, "--tenant is required", kExportHelp);
  if (output.empty()) return Usage(err, "-o OUT is required", kExportHelp);
  if (a.positional.empty()) return Usage(err, "no audit files given", kExportHelp);
  const bool redacted = a.Has("--redacted");
  auto summary = redacted ? ExportTenant(a.positional, tenant, output)
                          : ExportTenantComplete(a.positional, tenant, output);
  if (!summary.ok()) {
    err << "error: " << summary.error().ToString() << "\n";
    return kExitUsage;
  }
  const ExportSummary& s = summary.value();
  if (a.Has("--json")) {
    nlohmann::json j = {{"output", output},
                        {"tenant", tenant},
                        {"form", redacted ? "redacted" : "complete"},
                        {"tenantRecords", s.tenant_records},
                        {"redactedRecords", s.redacted_records},
                        {"checkpoints", s.checkpoints}};
    if (!redacted) {
      j["proofs"] = s.proofs;
      j["firstTenantSeq"] = s.first_tenant_seq;
      j["lastTenantSeq"] = s.last_tenant_seq;
      j["skippedBeforeTenantChains"] = s.skipped_before_anchor;
    }
    out << j.dump(2) << "\n";
  } else if (redacted) {
    out << "wrote " << output << ": " << s.tenant_records << " records of tenant " << tenant << ", "
        << s.redacted_records << " redacted, " << s.checkpoints << " checkpoints\n";
  } else {
    out << "wrote " << output << ": " << s.tenant_records << " records of tenant " << tenant
        << " (tenantSeq " << s.first_tenant_seq << ".." << s.last_tenant_seq << "), "
        << s.checkpoints << " checkpoints, " << s.proofs << " proofs";
    if (s.skipped_before_anchor > 0) {
      out << "; " << s.skipped_before_anchor
          << " earlier records predate tenant chains (export them with --redacted)";
    }
    out << "\n";
  }
  return kExitOk;
}

int RunAuditKeygen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = Parse(args, {"--type", "-o", "--output"}, {"--json", "--help", "-h"});
  if (a.Has("--help") || a.Has("-h")) {
    out << kKeygenHelp;
    return kExitOk;
  }
  if (!a.error.empty()) return Usage(err, a.error, kKeygenHelp);
  std::string type = a.One("--type");
  std::string output = a.One("-o").empty() ? a.One("--output") : a.One("-o");
  if (type != "p256" && type != "ed25519") {
    return Usage(err, "--type must be p256 or ed25519", kKeygenHelp);
  }
  if (output.empty() || !a.positional.empty()) {
    return Usage(err, "-o FILE is required", kKeygenHelp);
  }
  auto made = GenerateSignerKeyFile(
      output, type == "p256" ? SignerKeyType::kP256 : SignerKeyType::kEd25519);
  if (!made.ok()) {
    err << "error: " << made.error().ToString() << "\n";
    return kExitUsage;
  }
  auto signer = FileCheckpointSigner::Load(output);
  if (!signer.ok()) {
    err << "error: " << signer.error().ToString() << "\n";
    return kExitUsage;
  }
  if (a.Has("--json")) {
    out << nlohmann::json{{"keyFile", output},
                          {"keyId", signer.value()->key_id()},
                          {"algorithm", signer.value()->algorithm()}}
               .dump(2)
        << "\n";
  } else {
    out << "wrote " << output << " (" << signer.value()->algorithm() << "), key id "
        << signer.value()->key_id() << "\n";
  }
  return kExitOk;
}

int RunAuditCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kMainHelp;
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& cmd = args[0];
  if (cmd == "verify") return RunAuditVerify(rest, out, err);
  if (cmd == "verify-erasure") return RunAuditVerifyErasure(rest, out, err);
  if (cmd == "public-key") return RunAuditPublicKey(rest, out, err);
  if (cmd == "export") return RunAuditExport(rest, out, err);
  if (cmd == "keygen") return RunAuditKeygen(rest, out, err);
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    out << kMainHelp;
    return kExitOk;
  }
  err << "error: unknown command " << cmd << "\n" << kMainHelp;
  return kExitUsage;
}

}  // namespace xks::audit
