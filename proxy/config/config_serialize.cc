// SerializeConfig: the typed configuration written back as the JSON that ParseConfig reads.
// Every field is written, defaults included, so the document says exactly what runs; secrets are
// written as their references (file or environment variable), never as values.

#include <nlohmann/json.hpp>

#include "proxy/config/config.h"

namespace xks::config {
namespace {

using nlohmann::json;

json SerializeSecretRef(const SecretRef& ref) {
  return {{ref.kind == SecretRef::Kind::kFile ? "file" : "env", ref.where}};
}

json SerializeTls(const TlsConfig& tls) {
  json out = {{"certificate_chain_file", tls.certificate_chain_file},
              {"private_key_file", tls.private_key_file}};
  if (!tls.client_ca_file.empty()) out["client_ca_file"] = tls.client_ca_file;
  if (!tls.allowed_client_common_names.empty()) {
    out["allowed_client_common_names"] = tls.allowed_client_common_names;
  }
  return out;
}

json SerializeServer(const ServerConfig& s) {
  json out = {
      {"listen_address", s.listen_address},
      {"port", s.port},
      {"insecure", s.insecure},
      {"io_threads", s.io_threads},
      {"worker_threads", s.worker_threads},
      {"queue_limit", s.queue_limit},
      {"low_priority_queue_limit", s.low_priority_queue_limit},
      {"hsm_time_budget_ms", s.hsm_time_budget.count()},
      {"read_timeout_ms", s.read_timeout.count()},
      {"write_timeout_ms", s.write_timeout.count()},
      {"idle_timeout_ms", s.idle_timeout.count()},
      {"unauthenticated_idle_timeout_ms", s.unauthenticated_idle_timeout.count()},
      {"max_connections", s.max_connections},
      {"max_connections_per_address", s.max_connections_per_address},
      {"max_handshakes_in_progress", s.max_handshakes_in_progress},
      {"max_body_bytes", s.max_body_bytes},
      {"ping_path", s.ping_path},
  };
  if (s.tls) out["tls"] = SerializeTls(*s.tls);
  return out;
}

json SerializeApi(const ApiConfig& a) {
  return {
      {"max_plaintext_bytes", a.max_plaintext_bytes},
      {"max_ciphertext_bytes", a.max_ciphertext_bytes},
      {"max_aad_bytes", a.max_aad_bytes},
      {"max_arn_chars", a.max_arn_chars},
      {"verify_encrypt", a.verify_encrypt},
      {"key_attribute_cache_ttl_ms", a.key_attribute_cache_ttl.count()},
      {"health_check_interval_ms", a.health_check_interval.count()},
      {"health_degraded_latency_ms", a.health_degraded_latency.count()},
      {"fleet_size", a.fleet_size},
      {"ekm_vendor", a.ekm_vendor},
  };
}

json SerializeHsm(const HsmConfig& h) {
  json modules = json::array();
  for (const ModuleConfig& m : h.modules) {
    json module = {
        {"id", m.id}, {"module", m.module}, {"generate_iv_in_hsm", m.generate_iv_in_hsm}};
    if (!m.initialize_parameters.empty()) module["initialize_parameters"] = m.initialize_parameters;
    modules.push_back(std::move(module));
  }
  json tokens = json::array();
  for (const TokenConfig& t : h.tokens) {
    json token = {{"id", t.id},
                  {"module", t.module_id},
                  {"token", t.token},
                  {"pin", SerializeSecretRef(t.pin)},
                  {"max_sessions", t.max_sessions},
                  {"health_check_key", t.health_check_key},
                  {"copy_keys_to_session_objects", t.copy_keys_to_session_objects}};
    if (t.max_stuck_calls != 0) token["max_stuck_calls"] = t.max_stuck_calls;  // 0: the default
    tokens.push_back(std::move(token));
  }
  return {{"modules", std::move(modules)}, {"tokens", std::move(tokens)}};
}

json SerializeTenant(const TenantConfig& t) {
  json credentials = json::array();
  for (const CredentialConfig& c : t.credentials) {
    credentials.push_back(
        {{"access_key_id", c.access_key_id}, {"secret", SerializeSecretRef(c.secret_ref)}});
  }
  json keys = json::object();
  for (const KeyConfig& k : t.keys) {
    json versions = json::array();
    for (const KeyVersionConfig& v : k.versions) {
      versions.push_back({{"version", v.version}, {"label", v.label}, {"retired", v.retired}});
    }
    keys[k.external_key_id] = {{"versions", std::move(versions)}, {"disabled", k.disabled}};
  }
  return {
      {"name", t.name},         {"path_prefix", t.path_prefix},          {"token", t.token},
      {"disabled", t.disabled}, {"credentials", std::move(credentials)}, {"keys", std::move(keys)}};
}

}  // namespace

nlohmann::json SerializeConfig(const Config& config) {
  json tenants = json::array();
  for (const TenantConfig& t : config.tenants) tenants.push_back(SerializeTenant(t));
  return {{"server", SerializeServer(config.server)},
          {"api", SerializeApi(config.api)},
          {"hsm", SerializeHsm(config.hsm)},
          {"audit", SerializeAuditConfig(config.audit)},
          {"tenants", std::move(tenants)}};
}

}  // namespace xks::config
