// Conformance cases, transport: HTTP/1.1, keep-alive, TLS, latency and mutual TLS.
#include <algorithm>
#include <chrono>
#include <set>

#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

namespace {

constexpr int kLatencyBudgetMs = 250;

}  // namespace

void AddTransportCases(CatalogueBuilder& b) {
  b.Add("transport.http-1-1", "transport", "API content type", "the endpoint speaks HTTP/1.1",
        kMust, [](Session& s) {
          Call c = s.Send(s.HealthPath(), HealthBody().dump());
          if (!c.ok()) return Failed(c.Describe());
          return c.response.version == "HTTP/1.1" ? Pass(c.response.version)
                                                  : Failed(c.response.version);
        });
  b.Add("transport.keep-alive", "transport", "API content type (HTTP/1.1)",
        "many requests succeed on one persistent connection", kMust, [](Session& s) {
          auto conn = HttpConnection::Open(s.Connect());
          if (!conn.ok()) return Failed(conn.error().ToString());
          const int n = s.config().keepalive_requests;
          for (int i = 0; i < n; ++i) {
            Call c = i % 2 == 0 ? s.SendOn(**conn, s.HealthPath(), HealthBody().dump())
                                : s.SendOn(**conn, s.KeyPath(s.config().tenant.key_id, "encrypt"),
                                           EncryptBody("keep-alive", std::nullopt, false).dump());
            if (c.status() != 200) {
              return Failed("request " + std::to_string(i + 1) + ": " + c.Describe());
            }
            if (c.response.server_closes && i + 1 < n) {
              return Failed("server closed the connection after request " + std::to_string(i + 1));
            }
          }
          return Pass(std::to_string(n) + " requests on one connection");
        });
  b.Add("transport.tls-1-2-or-later", "transport", "API content type (TLS)",
        "TLS 1.2 or later is negotiated", kMust, [](Session& s) {
          if (!s.config().tls) return Skip("endpoint is http://");
          auto conn = HttpConnection::Open(s.Connect());
          if (!conn.ok()) return Failed(conn.error().ToString());
          std::string v = (*conn)->TlsVersion();
          return v == "TLSv1.2" || v == "TLSv1.3" ? Pass(v) : Failed(v);
        });
  b.Add("transport.tls-cipher-suite-allowed", "transport", "API content type (TLS)",
        "the negotiated suite is TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 or TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        kMust, [](Session& s) {
          if (!s.config().tls) return Skip("endpoint is http://");
          auto conn = HttpConnection::Open(s.Connect());
          if (!conn.ok()) return Failed(conn.error().ToString());
          std::string c = (*conn)->TlsCipher();
          static const std::set<std::string> kAllowed = {
              "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
              "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"};
          return kAllowed.count(c) ? Pass(c) : Failed(c + " (" + (*conn)->TlsVersion() + ")");
        });
  b.Add("transport.latency-fresh-connection", "transport", "Encrypt (KMS considerations)",
        "median time of an encrypt on a new connection (TCP+TLS+request) is under 250 ms", kMust,
        [](Session& s) {
          std::vector<double> ms;
          for (int i = 0; i < s.config().latency_samples; ++i) {
            auto start = std::chrono::steady_clock::now();
            Call c = s.Send(s.KeyPath(s.config().tenant.key_id, "encrypt"),
                            EncryptBody(RandomByteString(32), std::nullopt, false).dump());
            auto end = std::chrono::steady_clock::now();
            if (c.status() != 200) return Failed("encrypt: " + c.Describe());
            ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
          }
          std::sort(ms.begin(), ms.end());
          double median =
              ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
          char buf[128];
          std::snprintf(buf, sizeof(buf), "median %.1f ms, max %.1f ms over %zu samples", median,
                        ms.back(), ms.size());
          return median < kLatencyBudgetMs ? Pass(buf) : Failed(buf);
        });
  b.Add("transport.mtls-client-cert-accepted", "transport", "Authentication (mTLS)",
        "requests presenting the configured client certificate succeed", kMust, [](Session& s) {
          if (s.config().client_cert_file.empty()) return Skip("no client certificate configured");
          if (!s.config().tls) return Skip("endpoint is http://");
          return Expect200Object(s.Send(s.HealthPath(), HealthBody().dump()));
        });
  b.Add("transport.mtls-no-cert-refused", "transport", "Authentication (mTLS)",
        "a connection without a client certificate gets no successful response", kShould,
        [](Session& s) {
          if (s.config().client_cert_file.empty()) return Skip("no client certificate configured");
          if (!s.config().tls) return Skip("endpoint is http://");
          SendOptions o;
          o.client_cert = false;
          Call c = s.Send(s.HealthPath(), HealthBody().dump(), o);
          if (c.status() == 200) return Failed("HTTP 200 without a client certificate");
          return Pass(c.Describe());
        });
}

}  // namespace xks::conformance::cases
