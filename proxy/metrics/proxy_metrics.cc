#include "proxy/metrics/proxy_metrics.h"

namespace xks::metrics {
namespace {

constexpr double kFlushBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                    0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

ProxyMetrics::ProxyMetrics(Registry& registry)
    : requests_(registry.AddCounter("xks_requests_total",
                                    "XKS API requests answered, by tenant, operation and "
                                    "errorName (OK: success).",
                                    {"tenant", "operation", "error"})),
      request_seconds_(registry.AddHistogram(
          "xks_request_duration_seconds",
          "Whole XKS requests, from the first byte read to the audited answer.",
          {"tenant", "operation"}, kLatencyBuckets)),
      hsm_seconds_(registry.AddHistogram("xks_hsm_duration_seconds",
                                         "Time XKS requests spent in HSM calls (summed per "
                                         "request), for requests that reached the HSM.",
                                         {"tenant", "operation"}, kLatencyBuckets)),
      audit_flush_seconds_(registry
                               .AddHistogram("xks_audit_flush_duration_seconds",
                                             "Audit log group commits: one write and, with "
                                             "durability fsync, its fdatasync.",
                                             {}, kFlushBuckets)
                               .With({})),
      config_generation_(registry
                             .AddGauge("xks_config_generation",
                                       "Configurations applied since the start (1: the one "
                                       "read at start).")
                             .With({})),
      last_reload_success_(registry
                               .AddGauge("xks_config_last_reload_success",
                                         "1 when the last reload was applied, 0 when it was "
                                         "refused (no reload yet: 1).")
                               .With({})),
      last_reload_time_(registry
                            .AddGauge("xks_config_last_reload_timestamp_seconds",
                                      "Unix time of the last reload attempt (0: none yet).")
                            .With({})),
      reloads_(registry.AddCounter("xks_config_reloads_total",
                                   "Configuration reloads by result (applied, refused).",
                                   {"result"})) {
  config_generation_.Set(1);
  last_reload_success_.Set(1);
}

void ProxyMetrics::RecordRequest(std::string_view tenant, std::string_view operation,
                                 std::string_view error, std::chrono::microseconds total,
                                 std::chrono::microseconds hsm) {
  requests_.With({tenant, operation, error}).Inc();
  request_seconds_.With({tenant, operation}).Observe(Seconds(total));
  if (hsm.count() > 0) hsm_seconds_.With({tenant, operation}).Observe(Seconds(hsm));
}

void ProxyMetrics::RecordAuditFlush(std::chrono::steady_clock::duration took) {
  audit_flush_seconds_.Observe(Seconds(took));
}

void ProxyMetrics::RecordReload(bool applied, std::uint64_t generation,
                                std::chrono::system_clock::time_point when) {
  reloads_.With({applied ? "applied" : "refused"}).Inc();
  last_reload_success_.Set(applied ? 1 : 0);
  last_reload_time_.Set(std::chrono::duration<double>(when.time_since_epoch()).count());
  config_generation_.Set(static_cast<double>(generation));
}

}  // namespace xks::metrics
