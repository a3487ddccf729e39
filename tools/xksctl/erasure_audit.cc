// The audit side of crypto-shredding: the erasure certificate's signature, the admin record in
// the proxy's own chain (admin_client.h when it runs, else written here under its lock), and the
// count of audited encrypts under a key version (erasure.h). Without the audit
// library the first two report why nothing was signed or recorded.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "tools/xksctl/admin_client.h"
#include "tools/xksctl/chain_writer.h"
#include "tools/xksctl/erasure.h"

#ifdef XKSCTL_HAVE_AUDIT
#include "proxy/audit/audit_crypto.h"
#include "proxy/audit/audit_log.h"
#include "proxy/audit/checkpoint_signer.h"
#include "proxy/audit/directory_lock.h"
#include "proxy/audit/erasure_certificate.h"
#include "tools/xksctl/audit_signer.h"
#endif

namespace xks::xksctl {

#ifdef XKSCTL_HAVE_AUDIT

nlohmann::json SignWithAuditKey(const config::Config& config, const nlohmann::json& document) {
  auto signer = OpenAuditSigner(config);
  if (!signer.ok()) {
    return {{"unsigned", "audit signer unusable: " + signer.error().ToString()}};
  }
  return audit::SignErasureCertificate(*signer.value(), document);
}

nlohmann::json RecordShredEvent(const config::Config& config, const nlohmann::json& certificate,
                                const std::string& certificate_path) {
  nlohmann::json details = audit::ShredEventDetails(certificate);
  details["certificate"] = certificate_path;
  return RecordAdminEvent(config, audit::ShredOperationOf(certificate),
                          certificate.value("tenant", ""), certificate.value("external_key_id", ""),
                          details);
}

nlohmann::json RecordAdminEvent(const config::Config& config, const std::string& operation,
                                const std::string& tenant, const std::string& key_id,
                                const nlohmann::json& details) {
  const config::AuditConfig& audit = config.audit;
  // One chain per instance: through the running proxy when one runs, else written here under
  // the same lock the proxy holds while it runs. A proxy that starts in between holds the lock
  // before its socket listens, so a busy lock means "ask again".
  const nlohmann::json request = {{"op", "record"},
                                  {"operation", operation},
                                  {"tenant", tenant},
                                  {"externalKeyId", key_id},
                                  {"details", details}};
  const std::vector<audit::AuditEvent> events = {
      audit::AdminEvent(operation, tenant, key_id, details)};
  std::string last_problem;
  for (int attempt = 0; attempt < 5; ++attempt) {
    try {
      if (auto answer = AskProxy(audit, request)) {
        if (answer->value("ok", false)) {
          return {{"recorded", true},
                  {"seq", answer->value("seq", 0)},
                  {"file", answer->value("file", "")},
                  {"via", "proxy"}};
        }
        return {{"recorded", false}, {"reason", answer->value("error", "refused by the proxy")}};
      }
    } catch (const OperationError& e) {
      return {{"recorded", false}, {"reason", e.what()}};
    }
    auto written = AppendToChainDirectly(config, events);
    if (written.ok()) return written.value();
    last_problem = written.error().ToString();
    if (last_problem.find(audit::kAuditChainBusy) == std::string::npos) break;
  }
  if (last_problem.find(audit::kAuditChainBusy) != std::string::npos) {
    last_problem +=
        " — a proxy writes this chain but does not answer on its admin socket (" +
        (config::AdminSocketPath(audit).empty() ? std::string("audit.admin_socket is \"\"")
                                                : config::AdminSocketPath(audit)) +
        ")";
  }
  return {{"recorded", false}, {"reason", last_problem}};
}

#else

nlohmann::json SignWithAuditKey(const config::Config&, const nlohmann::json&) {
  return {{"unsigned", "xksctl was built without the audit library"}};
}

nlohmann::json RecordAdminEvent(const config::Config&, const std::string&, const std::string&,
                                const std::string&, const nlohmann::json&) {
  return {{"recorded", false}, {"reason", "xksctl was built without the audit library"}};
}

nlohmann::json RecordShredEvent(const config::Config&, const nlohmann::json&, const std::string&) {
  return {{"recorded", false}, {"reason", "xksctl was built without the audit library"}};
}

#endif

nlohmann::json CountAuditedEncrypts(const config::AuditConfig& audit, const std::string& tenant,
                                    const std::string& key_id, const std::string& key_label) {
  const std::string& dir = audit.directory;
  const std::string prefix = audit.file_prefix + "-";
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return {{"unavailable", "cannot read audit directory " + dir + ": " + ec.message()}};
  std::uint64_t ok = 0, failed = 0, files = 0;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(".jsonl")) continue;
    std::ifstream in(entry.path());
    if (!in) return {{"unavailable", "cannot read " + entry.path().string()}};
    ++files;
    std::string line;
    while (std::getline(in, line)) {
      auto r = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!r.is_object() || r.value("type", "") != "request" ||
          r.value("operation", "") != "Encrypt" || r.value("tenant", "") != tenant ||
          r.value("externalKeyId", "") != key_id || r.value("keyLabel", "") != key_label) {
        continue;
      }
      if (r.value("result", "") == "OK") {
        ++ok;
      } else {
        ++failed;
      }
    }
  }
  return {{"ok", ok}, {"failed", failed}, {"files", files}, {"directory", dir}};
}

}  // namespace xks::xksctl
