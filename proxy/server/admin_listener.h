#pragma once
// The admin listener: a second, small Server (own threads, the main listener's timeouts and
// limits) that answers only GET /metrics, with the Prometheus text that `render` produces, and
// 404 to every other path (405 to another method on /metrics). With a bearer token configured a
// request without `Authorization: Bearer <token>` gets 401 (compared in constant time). Where it
// may listen (loopback, or TLS plus a token or client certificates) is the configuration's rule
// (config::AdminConfig); this class serves what it is given.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/problem.h"
#include "base/result.h"
#include "base/secret_bytes.h"
#include "proxy/common/http_message.h"
#include "proxy/server/server.h"

namespace xks::server {

/// Produces the body of one scrape. Called on the admin listener's worker thread.
using MetricsRender = std::function<std::string()>;

struct AdminListenerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;         ///< 0: ephemeral (tests)
  std::optional<TlsOptions> tls;  ///< absent: plain HTTP
  SecretBytes bearer_token;       ///< empty: none required
  std::chrono::milliseconds read_timeout{5000}, write_timeout{5000}, idle_timeout{60000};
};

/// The answer to one admin request, without sockets. Pure apart from `render`; thread-safe.
HttpResponse HandleAdminRequest(const HttpRequest& request, const SecretBytes& bearer_token,
                                const MetricsRender& render);

/// Thread safety as Server: Start once, Shutdown from any thread but its own.
class AdminListener {
 public:
  AdminListener(AdminListenerOptions options, MetricsRender render);
  ~AdminListener();

  Result<void, Problem> Start();
  std::uint16_t port() const;
  void Shutdown(std::chrono::milliseconds grace);

 private:
  std::unique_ptr<SecretBytes> token_;  // stable address for the handler
  std::unique_ptr<Server> server_;
};

}  // namespace xks::server
