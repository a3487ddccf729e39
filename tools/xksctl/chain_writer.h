#pragma once
// xksctl's part in "one audit chain per instance": administrative events go into the proxy's own
// chain. When the proxy runs it appends them (admin_client.h); when it does not, xksctl appends
// them itself, as the chain's one writer for that moment: AuditLog::Open takes the directory lock
// the proxy holds while it runs (proxy/audit/directory_lock.h).
// Thread safety: no shared state.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/audit/audit_event.h"
#include "proxy/config/config.h"

namespace xks::xksctl {

/// Appends `events` (at least one) to `audit`'s chain in one session of the writer (file-start,
/// startup checkpoint, the events, shutdown checkpoint), waiting up to 2 s for the lock. Returns
/// {"recorded": true, "seq": <last seq>, "file": F, "via": "xksctl"}. Errors: the lock's or the
/// log's problem (kAuditChainBusy in its text when a proxy holds the chain), or the signer's
/// (config.audit.signer: a key file or the HSM-held key, opened as the proxy opens it).
Result<nlohmann::json, Problem> AppendToChainDirectly(const config::Config& config,
                                                      const std::vector<audit::AuditEvent>& events);

class ConfigStore;

/// Records in the chain what `store`'s saved change amounts to, as the administrative events a
/// proxy reload would record (tenant::DiffRegistries), when no proxy writes the chain. Returns
/// {"recorded": true, "events": N, ...} or {"recorded": false, "reason": ...} (a proxy holding
/// the chain records the change itself when it reloads).
nlohmann::json RecordConfigChanges(const ConfigStore& store);

}  // namespace xks::xksctl
