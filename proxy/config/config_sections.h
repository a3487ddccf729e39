#pragma once
// The parsers of the configuration file's top-level sections, called by ParseConfig in file order.
// Each fills its part of cfg and reports every problem to the checker. Internal to proxy/tenant.

#include <string_view>

#include "proxy/config/config.h"
#include "proxy/config/config_checker.h"
#include "proxy/config/serialize_options.h"

namespace xks::config::parsing {

// config_process.cc: the `process` object, and its serialised form.
void ParseProcess(const json& p, Config& cfg, Checker& c);
json SerializeProcess(const ProcessConfig& p, const SerializeOptions& options);
// config_server.cc; ParseTls is server.tls and admin.tls.
TlsConfig ParseTls(const json& t, const std::string& tp, std::string_view base_dir, Checker& c);
void ParseServer(const json& s, std::string_view base_dir, Config& cfg, Checker& c);
// config_api.cc
void ParseApi(const json& a, Config& cfg, Checker& c);
// config_hsm.cc
void ParseHsm(const json& h, std::string_view base_dir, Config& cfg, Checker& c);
// config_tenants.cc; runs after ParseHsm because tenants name hsm.tokens entries.
void ParseTenants(const json& ts, std::string_view base_dir, Config& cfg, Checker& c);
// config_quota.cc: tenants[i].quota, and its serialised form.
void ParseTenantQuota(const json& t, const std::string& tp, TenantConfig& tc, Checker& c);
json SerializeTenantQuota(const QuotaConfig& quota, const SerializeOptions& options);
// config_serialize.cc
json SerializeTls(const TlsConfig& tls);
// config_admin.cc: the top-level `admin` and `log` objects (after ParseServer: the admin
// listener must not take the API's address and port).
void ParseAdmin(const json& a, std::string_view base_dir, Config& cfg, Checker& c);
void ParseLog(const json& l, Config& cfg, Checker& c);
void SerializeAdminAndLog(const Config& config, const SerializeOptions& options, json& out);

}  // namespace xks::config::parsing
