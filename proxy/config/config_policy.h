#pragma once
// `tenants[].policy`: parse/validate (called by ParseTenants) and serialise (called by
// SerializeTenant). Internal to proxy/config; callers use config.h.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "proxy/config/config_checker.h"
#include "proxy/config/policy_config.h"
#include "proxy/config/serialize_options.h"

namespace xks::config {

namespace parsing {
/// The `policy` member of the tenant object `tenant` at JSON path `tp`, or nullopt when absent.
/// Every problem goes to `c` with its JSON path (unknown fields, operations, condition fields;
/// empty lists; duplicate statement ids; invalid globs; a bad mode or effect).
std::optional<PolicyConfig> ParseTenantPolicy(const json& tenant, const std::string& tp,
                                              Checker& c);
}  // namespace parsing

/// The policy as ParseTenantPolicy reads it (the mode left out in the short form when enforce).
nlohmann::json SerializePolicy(const PolicyConfig& policy, const SerializeOptions& options);

}  // namespace xks::config
