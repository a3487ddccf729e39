#include <filesystem>

#include "proxy/config/config_secret_refs.h"
#include "proxy/config/config_sections.h"

namespace xks::config::parsing {
namespace {

// The largest body a spec-conformant request can have (AAD 10924 + ciphertext 5736 Base64
// characters, two 2048-character ARNs, field names and other metadata) stays below this, so a
// smaller body limit would refuse valid KMS requests.
constexpr std::size_t kMinBodyBytes = 32768;

}  // namespace

// server.tls: the certificate chain and CA files must exist; the private key gets the secret-file
// checks.
TlsConfig ParseTls(const json& t, const std::string& tp, std::string_view base_dir, Checker& c) {
  c.CheckKnown(t, tp,
               {"certificate_chain_file", "private_key_file", "client_ca_file",
                "allowed_client_common_names"});
  TlsConfig tls;
  auto file = [&](std::string_view key, bool required, std::string& dst, bool secret) {
    auto v = c.String(t, key, tp, required, "give a PEM file path");
    if (!v) return;
    dst = Resolve(base_dir, *v);
    if (secret) {
      CheckTlsPrivateKeyFile(dst, Join(tp, key), c);
      return;
    }
    std::error_code ec;  // like stat(2): symlinks followed, any failure means "not there"
    if (!std::filesystem::is_regular_file(dst, ec)) {
      c.Add(Join(tp, key), "file " + dst + " does not exist — give an existing PEM file");
    }
  };
  file("certificate_chain_file", true, tls.certificate_chain_file, false);
  file("private_key_file", true, tls.private_key_file, true);
  if (t.contains("client_ca_file")) file("client_ca_file", false, tls.client_ca_file, false);
  if (const json* cns = c.Array(t, "allowed_client_common_names", tp, false)) {
    for (std::size_t i = 0; i < cns->size(); ++i) {
      const json& cn = (*cns)[i];
      if (!cn.is_string() || cn.get<std::string>().empty()) {
        c.Add(Index(Join(tp, "allowed_client_common_names"), i),
              "must be a non-empty string, e.g. cks.kms.us-east-1.amazonaws.com");
      } else {
        tls.allowed_client_common_names.push_back(cn.get<std::string>());
      }
    }
    if (!cns->empty() && !t.contains("client_ca_file")) {
      c.Add(Join(tp, "allowed_client_common_names"),
            "needs client_ca_file — add the CA that issues the client certificates");
    }
  }
  return tls;
}

namespace {

HealthListenerConfig ParseHealthListener(const json& h, const std::string& p,
                                         std::string_view base_dir, const ServerConfig& server,
                                         Checker& c) {
  c.CheckKnown(h, p, {"listen_address", "port", "tls", "deep"});
  HealthListenerConfig out;
  if (auto v = c.String(h, "listen_address", p, false)) {
    if (v->empty()) c.Add(Join(p, "listen_address"), "empty — give an IP address, e.g. 0.0.0.0");
    out.listen_address = *v;
  }
  if (auto v = c.Uint(h, "port", p, 0, 65535)) out.port = static_cast<std::uint16_t>(*v);
  if (const json* t = c.Object(h, "tls", p, false)) {
    out.tls = ParseTls(*t, Join(p, "tls"), base_dir, c);
    if (!out.tls->client_ca_file.empty()) {
      c.Add(Join(p, "tls.client_ca_file"),
            "a load balancer's check presents no client certificate — remove it (this listener "
            "exists for an API port that requires them)");
    }
  }
  if (auto v = c.Bool(h, "deep", p)) out.deep = *v;
  if (out.port != 0 && out.port == server.port && out.listen_address == server.listen_address) {
    c.Add(Join(p, "port"), "the API listener's own address and port — give it a port of its own");
  }
  return out;
}

}  // namespace

void ParseServer(const json& s, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "server";
  c.CheckKnown(s, p,
               {"listen_address",
                "port",
                "insecure",
                "tls",
                "io_threads",
                "worker_threads",
                "queue_limit",
                "low_priority_queue_limit",
                "hsm_time_budget_ms",
                "read_timeout_ms",
                "write_timeout_ms",
                "idle_timeout_ms",
                "unauthenticated_idle_timeout_ms",
                "max_connections",
                "max_connections_per_address",
                "max_handshakes_in_progress",
                "max_body_bytes",
                "ping_path",
                "max_concurrent_hsm",
                "health_listener"});
  ServerConfig& out = cfg.server;
  if (auto v = c.String(s, "listen_address", p, false)) {
    if (v->empty()) c.Add(Join(p, "listen_address"), "empty — give an IP address, e.g. 0.0.0.0");
    out.listen_address = *v;
  }
  if (auto v = c.Uint(s, "port", p, 0, 65535)) out.port = static_cast<std::uint16_t>(*v);
  if (auto v = c.Bool(s, "insecure", p)) out.insecure = *v;
  if (const json* t = c.Object(s, "tls", p, false)) {
    out.tls = ParseTls(*t, Join(p, "tls"), base_dir, c);
  }
  if (out.insecure && out.tls) {
    c.Add(Join(p, "insecure"), "true together with tls — remove one of them");
  }
  if (!out.insecure && !out.tls) {
    c.Add(Join(p, "tls"),
          "missing — add certificate_chain_file and private_key_file, or set "
          "insecure: true for local tests");
  }
  if (auto v = c.Uint(s, "io_threads", p, 1, 256)) out.io_threads = *v;
  if (auto v = c.Uint(s, "worker_threads", p, 1, 1024)) out.worker_threads = *v;
  if (auto v = c.Uint(s, "queue_limit", p, 1, 1000000)) out.queue_limit = *v;
  if (auto v = c.Uint(s, "low_priority_queue_limit", p, 1, 1000000)) {
    out.low_priority_queue_limit = *v;
  }
  // AWS KMS gives up after 250 ms (spec), so a longer budget would only waste HSM capacity.
  if (auto v = Millis(c, s, "hsm_time_budget_ms", p, 1, 249)) out.hsm_time_budget = *v;
  if (auto v = Millis(c, s, "read_timeout_ms", p, 1, 600000)) out.read_timeout = *v;
  if (auto v = Millis(c, s, "write_timeout_ms", p, 1, 600000)) out.write_timeout = *v;
  if (auto v = Millis(c, s, "idle_timeout_ms", p, 1, 3600000)) out.idle_timeout = *v;
  if (auto v = Millis(c, s, "unauthenticated_idle_timeout_ms", p, 1, 3600000)) {
    out.unauthenticated_idle_timeout = *v;
  }
  if (auto v = c.Uint(s, "max_connections", p, 1, 1000000)) out.max_connections = *v;
  if (auto v = c.Uint(s, "max_connections_per_address", p, 0, 1000000)) {
    out.max_connections_per_address = *v;
  }
  if (auto v = c.Uint(s, "max_handshakes_in_progress", p, 0, 1000000)) {
    out.max_handshakes_in_progress = *v;
  }
  if (auto v = c.Uint(s, "max_body_bytes", p, kMinBodyBytes, 16u << 20)) out.max_body_bytes = *v;
  if (auto v = c.Uint(s, "max_concurrent_hsm", p, 1, 1000000)) out.max_concurrent_hsm = *v;
  if (auto v = c.String(s, "ping_path", p, false)) {
    if (v->empty() || (*v)[0] != '/' || v->find(kXksApiPath) != std::string::npos) {
      c.Add(Join(p, "ping_path"),
            "must start with '/' and must not contain /kms/xks/v1, e.g. /ping");
    }
    out.ping_path = *v;
  }
  if (const json* h = c.Object(s, "health_listener", p, false)) {
    out.health_listener = ParseHealthListener(*h, Join(p, "health_listener"), base_dir, out, c);
  }
}

}  // namespace xks::config::parsing
