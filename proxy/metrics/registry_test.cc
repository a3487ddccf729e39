#include "proxy/metrics/registry.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/metrics/proxy_metrics.h"

namespace xks::metrics {
namespace {

TEST(RegistryTest, RendersEveryKindInRegistrationOrder) {
  Registry registry;
  registry.AddCounter("c_total", "A counter.", {"k"}).With({"v\"1"}).Inc(2);
  registry.AddGauge("g", "A gauge.").With({}).Set(-1.5);
  const double bounds[] = {0.5, 1};
  auto& h = registry.AddHistogram("h_seconds", "A histogram.", {"op"}, bounds).With({"x"});
  h.Observe(0.25);
  h.Observe(0.75);
  h.Observe(3);
  registry.AddCallback("cb", "Computed.", MetricType::kGauge, {"token"}, [](const Emit& emit) {
    emit({"t1"}, 1);
    emit({"t2"}, 0);
  });
  registry.AddCounter("empty_total", "No sample yet.", {"k"});
  EXPECT_EQ(registry.Render(),
            "# HELP c_total A counter.\n# TYPE c_total counter\n"
            "c_total{k=\"v\\\"1\"} 2\n"
            "# HELP g A gauge.\n# TYPE g gauge\ng -1.5\n"
            "# HELP h_seconds A histogram.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{op=\"x\",le=\"0.5\"} 1\n"
            "h_seconds_bucket{op=\"x\",le=\"1\"} 2\n"
            "h_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"
            "h_seconds_sum{op=\"x\"} 4\n"
            "h_seconds_count{op=\"x\"} 3\n"
            "# HELP cb Computed.\n# TYPE cb gauge\ncb{token=\"t1\"} 1\ncb{token=\"t2\"} 0\n"
            "# HELP empty_total No sample yet.\n# TYPE empty_total counter\n");
}

TEST(RegistryTest, CallbackSamplesWithTheWrongLabelCountAreDropped) {
  Registry registry;
  registry.AddCallback("cb", "x", MetricType::kCounter, {"a"}, [](const Emit& emit) {
    emit({"1", "2"}, 1);
    emit({"ok"}, 2);
  });
  EXPECT_EQ(registry.Render(), "# HELP cb x\n# TYPE cb counter\ncb{a=\"ok\"} 2\n");
}

TEST(RegistryDeathTest, InvalidNamesAbort) {
  Registry registry;
  EXPECT_DEATH(registry.AddCounter("bad-name", "x"), "invalid metric name");
  EXPECT_DEATH(registry.AddGauge("g", "x", {"le"}), "invalid label name");
}

TEST(ProxyMetricsTest, RecordsRequestsFlushesAndReloads) {
  Registry registry;
  ProxyMetrics metrics(registry);
  metrics.RecordRequest("acme", "Encrypt", "OK", std::chrono::microseconds(1500),
                        std::chrono::microseconds(700));
  metrics.RecordRequest("acme", "Encrypt", "OK", std::chrono::microseconds(800),
                        std::chrono::microseconds(0));
  metrics.RecordRequest("", "Unknown", "InvalidUriPathException", std::chrono::microseconds(10),
                        std::chrono::microseconds(0));
  metrics.RecordAuditFlush(std::chrono::milliseconds(2));
  metrics.RecordReload(false, 1, std::chrono::system_clock::time_point(std::chrono::seconds(7)));
  const std::string text = registry.Render();
  auto has = [&text](const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("xks_requests_total{tenant=\"acme\",operation=\"Encrypt\",error=\"OK\"} 2"));
  EXPECT_TRUE(
      has("xks_requests_total{tenant=\"\",operation=\"Unknown\","
          "error=\"InvalidUriPathException\"} 1"));
  EXPECT_TRUE(has("xks_request_duration_seconds_count{tenant=\"acme\",operation=\"Encrypt\"} 2"));
  EXPECT_TRUE(
      has("xks_request_duration_seconds_sum{tenant=\"acme\",operation=\"Encrypt\"} 0.0023"));
  // Only the request that reached the HSM.
  EXPECT_TRUE(has("xks_hsm_duration_seconds_count{tenant=\"acme\",operation=\"Encrypt\"} 1"));
  EXPECT_EQ(text.find("xks_hsm_duration_seconds_count{tenant=\"\""), std::string::npos);
  EXPECT_TRUE(has("xks_audit_flush_duration_seconds_bucket{le=\"0.0025\"} 1"));
  EXPECT_TRUE(has("xks_audit_flush_duration_seconds_bucket{le=\"0.001\"} 0"));
  EXPECT_TRUE(has("xks_config_reloads_total{result=\"refused\"} 1"));
  EXPECT_TRUE(has("xks_config_last_reload_success 0"));
  EXPECT_TRUE(has("xks_config_last_reload_timestamp_seconds 7"));
  EXPECT_TRUE(has("xks_config_generation 1"));
  metrics.RecordReload(true, 2, std::chrono::system_clock::time_point(std::chrono::seconds(9)));
  const std::string after = registry.Render();
  EXPECT_NE(after.find("xks_config_generation 2\n"), std::string::npos);
  EXPECT_NE(after.find("xks_config_last_reload_success 1\n"), std::string::npos);
}

}  // namespace
}  // namespace xks::metrics
