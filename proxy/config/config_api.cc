#include "proxy/config/config_sections.h"

namespace xks::config::parsing {

namespace {

// The health monitor's thresholds (HealthMonitorOptions); the interval is parsed with the rest.
void ParseApiHealth(const json& a, ApiConfig& out, Checker& c) {
  const std::string p = "api";
  if (auto v = Millis(c, a, "health_check_timeout_ms", p, 10, 60000)) {
    out.health_check_timeout = *v;
  }
  if (auto v = Millis(c, a, "health_probe_interval_ms", p, 100, 60000)) {
    out.health_probe_interval = *v;
  }
  if (auto v = c.Uint(a, "health_live_failure_run", p, 0, 1000)) {
    out.health_live_failure_run = static_cast<std::uint32_t>(*v);
  }
  if (auto v = Millis(c, a, "health_live_failure_window_ms", p, 100, 600000)) {
    out.health_live_failure_window = *v;
  }
}

}  // namespace

void ParseApi(const json& a, Config& cfg, Checker& c) {
  const std::string p = "api";
  c.CheckKnown(
      a, p,
      {"max_plaintext_bytes", "max_ciphertext_bytes", "max_aad_bytes", "max_arn_chars",
       "verify_encrypt", "key_attribute_cache_ttl_ms", "health_check_interval_ms",
       "health_degraded_latency_ms", "health_check_timeout_ms", "health_probe_interval_ms",
       "health_live_failure_run", "health_live_failure_window_ms", "fleet_size", "ekm_vendor"});
  ApiConfig& out = cfg.api;
  // Upper bounds keep the HSM AAD (2 + AAD + 1 + 20 bytes) within a 16-bit length and request
  // bodies within what the server accepts.
  if (auto v = c.Uint(a, "max_plaintext_bytes", p, 4300, 65536)) out.max_plaintext_bytes = *v;
  if (auto v = c.Uint(a, "max_ciphertext_bytes", p, 4300, 65536)) out.max_ciphertext_bytes = *v;
  if (auto v = c.Uint(a, "max_aad_bytes", p, 8192, 65000)) out.max_aad_bytes = *v;
  if (auto v = c.Uint(a, "max_arn_chars", p, 2048, 65536)) out.max_arn_chars = *v;
  if (auto v = c.String(a, "verify_encrypt", p, false)) {
    if (*v != "when_cdiv_requested" && *v != "always" && *v != "never") {
      c.Add(Join(p, "verify_encrypt"), "must be one of: when_cdiv_requested, always, never");
    } else {
      out.verify_encrypt = *v;
    }
  }
  if (auto v = Millis(c, a, "key_attribute_cache_ttl_ms", p, 0, 300000)) {
    out.key_attribute_cache_ttl = *v;
  }
  // Spec: a cached health result must never be older than one minute; leave room for the check.
  if (auto v = Millis(c, a, "health_check_interval_ms", p, 100, 50000)) {
    out.health_check_interval = *v;
  }
  if (auto v = Millis(c, a, "health_degraded_latency_ms", p, 1, 60000)) {
    out.health_degraded_latency = *v;
  }
  ParseApiHealth(a, out, c);
  if (auto v = c.Uint(a, "fleet_size", p, 1, 1000)) out.fleet_size = static_cast<std::uint32_t>(*v);
  if (auto v = c.String(a, "ekm_vendor", p, false)) {
    if (v->empty() || v->size() > 128) {
      c.Add(Join(p, "ekm_vendor"), "must be 1..128 characters");
    } else {
      out.ekm_vendor = *v;
    }
  }
}

}  // namespace xks::config::parsing
