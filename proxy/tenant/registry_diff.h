#pragma once
// What changed between two tenant registries, as the administrative audit events it amounts to
// (a key rotated, a credential added, a tenant removed, ...). The proxy records them on every
// reload; xksctl records the same events when it changes the configuration while no proxy runs,
// so the audit chain tells the same story whoever applied the change.
// Thread safety: pure.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proxy/tenant/tenant_registry.h"

namespace xks::tenant {

/// One administrative change between two configurations, for the audit log.
struct AdminChange {
  std::string operation;  ///< e.g. "credential.add", "key.disable"
  std::string tenant;
  std::string external_key_id;
  nlohmann::json details = nlohmann::json::object();
};

/// The changes from `before` to `after`, in a stable order (tenants removed first, then each
/// tenant of `after` in order). Credentials are named by access key id only; secrets never enter
/// the audit log.
std::vector<AdminChange> DiffRegistries(const TenantRegistry& before, const TenantRegistry& after);

}  // namespace xks::tenant
