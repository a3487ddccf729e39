#pragma once
// The proxy's metrics: the registry, the series updated where things happen
// (metrics::ProxyMetrics: requests, audit flushes, reloads), the series read at scrape time from
// the running parts (HSM executors, token health, audit queue and checkpoints, TLS handshakes,
// connections), and the admin listener that serves them (config `admin`).
//
// Thread safety: Watch and StartAdmin are called once, at start, before the listener serves;
// Stop from the lifecycle thread. The scrape runs on the admin listener's thread and reads only
// thread-safe accessors.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/api/health_monitor.h"
#include "proxy/audit/audit_log.h"
#include "proxy/config/config.h"
#include "proxy/metrics/proxy_metrics.h"
#include "proxy/metrics/registry.h"
#include "proxy/runtime/hsm_key_backend.h"
#include "proxy/server/admin_listener.h"
#include "proxy/server/server.h"

namespace xks::runtime {

class ProxyTelemetry {
 public:
  ProxyTelemetry();
  ~ProxyTelemetry();

  metrics::ProxyMetrics& metrics() { return metrics_; }

  /// What the scrape reads; every reference must outlive Stop().
  struct Sources {
    HsmKeyBackend& backend;
    api::HealthMonitor& health;
    audit::AuditLog& audit;
    server::Server& server;
    /// The tokens of the current configuration (TenantRegistry::TenantTokenIds).
    std::function<std::vector<std::string>()> token_ids;
  };
  /// Registers the scrape-time series. Call once.
  void Watch(Sources sources);

  /// Starts the admin listener for `admin` (timeouts from `server`, as the main listener's).
  Result<void, Problem> StartAdmin(const config::AdminConfig& admin,
                                   const config::ServerConfig& server);
  /// The admin listener's port (0: none running).
  std::uint16_t admin_port() const;
  /// Stops the admin listener; no scrape runs after it returns. Idempotent.
  void Stop();

  /// The scrape body (tests).
  std::string Render() const { return registry_.Render(); }

 private:
  void WatchHsm(const Sources& sources);
  void WatchAuditAndServer(const Sources& sources);

  metrics::Registry registry_;
  metrics::ProxyMetrics metrics_;
  std::unique_ptr<server::AdminListener> admin_;
};

}  // namespace xks::runtime
