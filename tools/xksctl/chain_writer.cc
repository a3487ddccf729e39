#include "tools/xksctl/chain_writer.h"

#include <chrono>
#include <utility>

#include "proxy/audit/audit_log.h"
#include "proxy/audit/directory_lock.h"
#include "proxy/tenant/registry_diff.h"
#include "tools/xksctl/audit_signer.h"
#include "tools/xksctl/config_store.h"

namespace xks::xksctl {

Result<nlohmann::json, Problem> AppendToChainDirectly(
    const config::Config& full_config, const std::vector<audit::AuditEvent>& events) {
  config::AuditConfig config = full_config.audit;
  config.mirror = config::Mirror::kNone;  // the proxy's mirror is its own business
  auto signer = OpenAuditSigner(full_config);
  if (!signer.ok()) return Fail(std::move(signer).error());
  audit::AuditLogDeps deps;
  deps.lock_wait = std::chrono::seconds(2);  // another xksctl appending its events
  auto log = audit::AuditLog::Open(config, std::move(signer).value(), deps);
  if (!log.ok()) return Fail(std::move(log).error());
  std::uint64_t last = 0;
  for (const auto& event : events) {
    auto seq = log.value()->Append(event);
    if (!seq.ok()) {
      log.value()->Close();
      return Fail(MakeProblem("audit.directory", seq.error().log_detail));
    }
    last = seq.value();
  }
  std::string file = log.value()->CurrentFile();
  log.value()->Close();
  return nlohmann::json{{"recorded", true}, {"seq", last}, {"file", file}, {"via", "xksctl"}};
}

nlohmann::json RecordConfigChanges(const ConfigStore& store) {
  if (store.original_document().is_null()) return {{"recorded", false}, {"reason", "a new file"}};
  auto before = config::ParseConfig(store.original_document(), store.BaseDir());
  auto after = config::LoadConfigFile(store.path());
  if (!before.ok() || !after.ok()) {
    return {{"recorded", false}, {"reason", "the configuration no longer parses"}};
  }
  const auto changes =
      tenant::DiffRegistries(*tenant::TenantRegistry::Build(std::move(before).value()),
                             *tenant::TenantRegistry::Build(std::move(after).value()));
  std::vector<audit::AuditEvent> events;
  for (const auto& change : changes) {
    events.push_back(
        audit::AdminEvent(change.operation, change.tenant, change.external_key_id, change.details));
  }
  if (events.empty()) return {{"recorded", true}, {"events", 0}};
  auto written = AppendToChainDirectly(store.config(), events);
  if (!written.ok()) {
    const std::string why = written.error().ToString();
    if (why.find(audit::kAuditChainBusy) != std::string::npos) {
      return {
          {"recorded", false},
          {"reason", "a running proxy writes the chain; it records the change when it reloads"}};
    }
    return {{"recorded", false}, {"reason", why}};
  }
  nlohmann::json result = written.value();
  result["events"] = events.size();
  return result;
}

}  // namespace xks::xksctl
