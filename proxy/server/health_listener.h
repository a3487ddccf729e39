#pragma once
// The load-balancer check listener (config `server.health_listener`): a small Server of its own
// that answers only GET/HEAD on the ping path, for when the API port requires client
// certificates and the balancer's HTTPS check presents none (an NLB). Plain HTTP or TLS without
// client certificates. Shallow by default (200 while the process serves); deep, it answers 503
// while `can_serve` says the proxy cannot serve any key operation, so the balancer drains the
// instance. It reveals nothing else: no tenant, no token, no version.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/common/http_message.h"
#include "proxy/server/server.h"

namespace xks::server {

struct HealthListenerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;         ///< 0: ephemeral (tests)
  std::optional<TlsOptions> tls;  ///< absent: plain HTTP; never with a client CA
  std::string ping_path = "/ping";
  /// Deep check; empty: shallow (always 200). Called on the listener's worker thread; must not
  /// block (read cached state).
  std::function<bool()> can_serve;
  std::chrono::milliseconds read_timeout{5000}, write_timeout{5000}, idle_timeout{60000};
};

/// The answer to one check, without sockets. Pure apart from `can_serve`; thread-safe.
HttpResponse HandleHealthCheck(const HttpRequest& request, const std::string& ping_path,
                               const std::function<bool()>& can_serve);

/// Thread safety as Server: Start once, Shutdown from any thread but its own.
class HealthListener {
 public:
  explicit HealthListener(HealthListenerOptions options);
  ~HealthListener();

  Result<void, Problem> Start();
  std::uint16_t port() const;
  void Shutdown(std::chrono::milliseconds grace);

 private:
  std::unique_ptr<Server> server_;
};

}  // namespace xks::server
