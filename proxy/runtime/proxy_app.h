#pragma once
// The running proxy, assembled from one configuration file: the HSM backend, the tenant registry,
// SigV4, the audit log, the health monitor, the XKS request logic and the HTTPS server.
// main() only parses arguments, handles signals and calls these members.
//
// Thread safety: Start, Reload and Shutdown are serialized internally and may be called from any
// thread except the server's own threads (the signal thread is the intended caller).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/problem.h"
#include "base/result.h"

namespace xks::config {
struct Config;
}

namespace xks::runtime {

/// Called by Create with the validated configuration before anything is opened; an error stops
/// Create there (main refuses a root start this way before any file is created as root).
using BeforeOpen = std::function<Result<void, Problem>(const config::Config&)>;

class ProxyApp {
 public:
  /// Loads and validates `config_path` and opens everything except the listener: HSM modules and
  /// tokens (login), the audit log (chain recovery, startup checkpoint). Errors: every problem,
  /// each with its JSON path (or component) and a fix where one is known.
  static Result<std::unique_ptr<ProxyApp>, Problems> Create(const std::string& config_path,
                                                            const BeforeOpen& before_open = {});
  ~ProxyApp();
  ProxyApp(const ProxyApp&) = delete;
  ProxyApp& operator=(const ProxyApp&) = delete;

  /// Runs the first health round, starts the health monitor and the listener, and records the
  /// `proxy.start` audit event. Errors: text (bind failure, bad certificate).
  Result<void, Problem> Start();
  /// The bound port (after Start).
  std::uint16_t port() const;

  /// Re-reads the configuration file: tenants, credentials, keys (added, disabled, enabled,
  /// rotated), HSM tokens and TLS certificates change without dropping connections. An invalid file
  /// changes nothing and returns every problem. Listener address, thread counts and the audit
  /// section need a restart (a warning is logged when they differ). Records `config.reload`.
  Result<void, Problems> Reload();

  /// Drains in-flight requests (up to `grace`), stops the listener and the health monitor, records
  /// `proxy.stop`, and closes the audit log with a final signed checkpoint. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  class Impl;

 private:
  explicit ProxyApp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xks::runtime
