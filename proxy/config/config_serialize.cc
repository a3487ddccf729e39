// SerializeConfig: the typed configuration written back as the JSON that ParseConfig reads.
// Secrets are written as their references (file or environment variable), never as values.
// SerializeOptions choose between "every field, so the document says exactly what runs" (the
// default) and the short form xksctl writes (defaults left out).

#include <nlohmann/json.hpp>

#include "proxy/config/config.h"
#include "proxy/config/config_policy.h"
#include "proxy/config/config_sections.h"
#include "proxy/config/config_writer.h"

namespace xks::config {
namespace {

using nlohmann::json;
using writing::ObjectWriter;

json SerializeSecretRef(const SecretRef& ref) {
  return {{ref.kind == SecretRef::Kind::kFile ? "file" : "env", ref.where}};
}

}  // namespace

json parsing::SerializeTls(const TlsConfig& tls) {
  json out = {{"certificate_chain_file", tls.certificate_chain_file},
              {"private_key_file", tls.private_key_file}};
  if (!tls.client_ca_file.empty()) out["client_ca_file"] = tls.client_ca_file;
  if (!tls.allowed_client_common_names.empty()) {
    out["allowed_client_common_names"] = tls.allowed_client_common_names;
  }
  return out;
}

namespace {

using parsing::SerializeTls;

json SerializeServer(const ServerConfig& s, const SerializeOptions& options) {
  const ServerConfig d;
  ObjectWriter out(options);
  out.Optional("listen_address", s.listen_address, d.listen_address)
      .Optional("port", s.port, d.port)
      .Optional("insecure", s.insecure, d.insecure)
      .Optional("io_threads", s.io_threads, d.io_threads)
      .Optional("worker_threads", s.worker_threads, d.worker_threads)
      .Optional("queue_limit", s.queue_limit, d.queue_limit)
      .Optional("low_priority_queue_limit", s.low_priority_queue_limit, d.low_priority_queue_limit)
      .Optional("hsm_time_budget_ms", s.hsm_time_budget.count(), d.hsm_time_budget.count())
      .Optional("read_timeout_ms", s.read_timeout.count(), d.read_timeout.count())
      .Optional("write_timeout_ms", s.write_timeout.count(), d.write_timeout.count())
      .Optional("idle_timeout_ms", s.idle_timeout.count(), d.idle_timeout.count())
      .Optional("unauthenticated_idle_timeout_ms", s.unauthenticated_idle_timeout.count(),
                d.unauthenticated_idle_timeout.count())
      .Optional("max_connections", s.max_connections, d.max_connections)
      .Optional("max_connections_per_address", s.max_connections_per_address,
                d.max_connections_per_address)
      .Optional("max_handshakes_in_progress", s.max_handshakes_in_progress,
                d.max_handshakes_in_progress)
      .Optional("max_body_bytes", s.max_body_bytes, d.max_body_bytes)
      .Optional("ping_path", s.ping_path, d.ping_path)
      .Optional("max_concurrent_hsm", s.max_concurrent_hsm, d.max_concurrent_hsm);
  if (s.tls) out.Json("tls", SerializeTls(*s.tls));
  if (s.health_listener) {
    const HealthListenerConfig& h = *s.health_listener;
    const HealthListenerConfig dh;
    ObjectWriter health(options);
    health.Optional("listen_address", h.listen_address, dh.listen_address)
        .Optional("port", h.port, dh.port)
        .Optional("deep", h.deep, dh.deep);
    if (h.tls) health.Json("tls", SerializeTls(*h.tls));
    out.Json("health_listener", health.Take());
  }
  return out.Take();
}

json SerializeApi(const ApiConfig& a, const SerializeOptions& options) {
  const ApiConfig d;
  return ObjectWriter(options)
      .Optional("max_plaintext_bytes", a.max_plaintext_bytes, d.max_plaintext_bytes)
      .Optional("max_ciphertext_bytes", a.max_ciphertext_bytes, d.max_ciphertext_bytes)
      .Optional("max_aad_bytes", a.max_aad_bytes, d.max_aad_bytes)
      .Optional("max_arn_chars", a.max_arn_chars, d.max_arn_chars)
      .Optional("verify_encrypt", a.verify_encrypt, d.verify_encrypt)
      .Optional("key_attribute_cache_ttl_ms", a.key_attribute_cache_ttl.count(),
                d.key_attribute_cache_ttl.count())
      .Optional("health_check_interval_ms", a.health_check_interval.count(),
                d.health_check_interval.count())
      .Optional("health_degraded_latency_ms", a.health_degraded_latency.count(),
                d.health_degraded_latency.count())
      .Optional("health_check_timeout_ms", a.health_check_timeout.count(),
                d.health_check_timeout.count())
      .Optional("health_probe_interval_ms", a.health_probe_interval.count(),
                d.health_probe_interval.count())
      .Optional("health_live_failure_run", a.health_live_failure_run, d.health_live_failure_run)
      .Optional("health_live_failure_window_ms", a.health_live_failure_window.count(),
                d.health_live_failure_window.count())
      .Optional("fleet_size", a.fleet_size, d.fleet_size)
      .Optional("ekm_vendor", a.ekm_vendor, d.ekm_vendor)
      .Take();
}

json SerializeModule(const ModuleConfig& m, const SerializeOptions& options) {
  const ModuleConfig d;
  ObjectWriter out(options);
  out.Required("id", m.id)
      .Required("module", m.module)
      .Optional("generate_iv_in_hsm", m.generate_iv_in_hsm, d.generate_iv_in_hsm)
      .Optional("initialize_parameters", m.initialize_parameters, d.initialize_parameters);
  return out.Take();
}

json SerializeToken(const TokenConfig& t, const SerializeOptions& options) {
  const TokenConfig d;
  json out = ObjectWriter(options)
                 .Required("id", t.id)
                 .Required("module", t.module_id)
                 .Required("token", t.token)
                 .Json("pin", SerializeSecretRef(t.pin))
                 .Optional("max_sessions", t.max_sessions, d.max_sessions)
                 .Optional("queue_limit", t.queue_limit, d.queue_limit)
                 .Required("health_check_key", t.health_check_key)
                 .Optional("copy_keys_to_session_objects", t.copy_keys_to_session_objects,
                           d.copy_keys_to_session_objects)
                 .Take();
  // 0 stands for "as many as max_sessions": the file holds only a value that was set.
  if (t.max_stuck_calls != 0) out["max_stuck_calls"] = t.max_stuck_calls;
  return out;
}

json SerializeHsm(const HsmConfig& h, const SerializeOptions& options) {
  json modules = json::array();
  for (const ModuleConfig& m : h.modules) modules.push_back(SerializeModule(m, options));
  json tokens = json::array();
  for (const TokenConfig& t : h.tokens) tokens.push_back(SerializeToken(t, options));
  return {{"modules", std::move(modules)}, {"tokens", std::move(tokens)}};
}

json SerializeKey(const KeyConfig& k, const SerializeOptions& options) {
  json versions = json::array();
  for (const KeyVersionConfig& v : k.versions) {
    versions.push_back(ObjectWriter(options)
                           .Required("version", v.version)
                           .Required("label", v.label)
                           .Optional("retired", v.retired, false)
                           .Take());
  }
  return ObjectWriter(options)
      .Json("versions", std::move(versions))
      .Optional("disabled", k.disabled, false)
      .Take();
}

json SerializeTenant(const TenantConfig& t, const SerializeOptions& options) {
  json credentials = json::array();
  for (const CredentialConfig& c : t.credentials) {
    credentials.push_back(
        {{"access_key_id", c.access_key_id}, {"secret", SerializeSecretRef(c.secret_ref)}});
  }
  json keys = json::object();
  for (const KeyConfig& k : t.keys) keys[k.external_key_id] = SerializeKey(k, options);
  ObjectWriter out(options);
  out.Required("name", t.name).Required("path_prefix", t.path_prefix);
  // One member keeps the single-token shape every earlier file has.
  if (t.tokens.size() == 1) {
    out.Required("token", t.tokens.front());
  } else {
    out.Json("tokens", t.tokens);
  }
  if (t.quota != QuotaConfig{}) out.Json("quota", parsing::SerializeTenantQuota(t.quota, options));
  out.Optional("disabled", t.disabled, false)
      .Json("credentials", std::move(credentials))
      .Json("keys", std::move(keys));
  if (t.policy) out.Json("policy", SerializePolicy(*t.policy, options));
  return out.Take();
}

}  // namespace

nlohmann::json SerializeConfig(const Config& config, const SerializeOptions& options) {
  json tenants = json::array();
  for (const TenantConfig& t : config.tenants) tenants.push_back(SerializeTenant(t, options));
  json out = {{"server", SerializeServer(config.server, options)},
              {"hsm", SerializeHsm(config.hsm, options)},
              {"audit", SerializeAuditConfig(config.audit, options)},
              {"tenants", std::move(tenants)}};
  json api = SerializeApi(config.api, options);
  // "api" is optional as a whole: all defaults leave it out.
  if (!options.omit_defaults || !api.empty()) out["api"] = std::move(api);
  json process = parsing::SerializeProcess(config.process, options);
  if (!options.omit_defaults || !process.empty()) out["process"] = std::move(process);
  parsing::SerializeAdminAndLog(config, options, out);
  return out;
}

}  // namespace xks::config
