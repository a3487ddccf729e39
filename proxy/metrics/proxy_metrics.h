#pragma once
// The proxy's own series that are updated where things happen (a request ends, the audit log
// flushes, a reload ends), named once here. The series read at scrape time from state that
// already exists (HSM queues, health, audit queue, TLS counters) are registered by the runtime
// (proxy/runtime/proxy_telemetry.h). docs/operations.md lists every series and its meaning.
//
// Thread-safe; every Record* is lock-free and allocation-free once its label combination exists.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/metrics/registry.h"

namespace xks::metrics {

class ProxyMetrics {
 public:
  /// Registers the families in `registry`, which must outlive this object.
  explicit ProxyMetrics(Registry& registry);

  /// One finished XKS request: `error` is "OK" or the spec errorName it was answered with;
  /// `tenant` is "" when the path named none. The HSM histogram gets only requests that spent
  /// time in the HSM.
  void RecordRequest(std::string_view tenant, std::string_view operation, std::string_view error,
                     std::chrono::microseconds total, std::chrono::microseconds hsm);

  /// One group commit of the audit log (write, and fdatasync when configured).
  void RecordAuditFlush(std::chrono::steady_clock::duration took);

  /// A configuration reload ended (`applied` false: refused, nothing changed); `generation`
  /// counts the configurations applied since start (1: the one read at start).
  void RecordReload(bool applied, std::uint64_t generation,
                    std::chrono::system_clock::time_point when);

 private:
  Family<Counter>& requests_;
  Family<Histogram>& request_seconds_;
  Family<Histogram>& hsm_seconds_;
  Histogram& audit_flush_seconds_;
  Gauge& config_generation_;
  Gauge& last_reload_success_;
  Gauge& last_reload_time_;
  Family<Counter>& reloads_;
};

}  // namespace xks::metrics
