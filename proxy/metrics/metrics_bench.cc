// Cost of the per-request metrics hook (ProxyMetrics::RecordRequest: one labelled counter and two
// labelled histograms) once the label combinations exist, on one thread and on several at once
// (the lock-free lookup and the shared atomics under contention), and of one scrape's rendering.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "proxy/metrics/proxy_metrics.h"

namespace xks::metrics {
namespace {

Registry& SharedRegistry() {
  static Registry registry;
  return registry;
}

ProxyMetrics& Shared() {
  static ProxyMetrics metrics(SharedRegistry());
  return metrics;
}

void BM_RecordRequest(benchmark::State& state) {
  ProxyMetrics& metrics = Shared();
  const std::string tenant = "tenant-" + std::to_string(state.thread_index() % 4);
  for (auto _ : state) {
    metrics.RecordRequest(tenant, "Encrypt", "OK", std::chrono::microseconds(812),
                          std::chrono::microseconds(640));
  }
}
BENCHMARK(BM_RecordRequest)->Threads(1)->Threads(2)->Threads(4);

void BM_Render(benchmark::State& state) {
  Registry registry;
  ProxyMetrics metrics(registry);
  // 20 tenants x 4 operations x 3 results: a large deployment's request series.
  for (int t = 0; t < 20; ++t) {
    for (const char* op : {"Encrypt", "Decrypt", "GetKeyMetadata", "GetHealthStatus"}) {
      for (const char* error : {"OK", "ThrottlingException", "KeyNotFoundException"}) {
        metrics.RecordRequest("tenant-" + std::to_string(t), op, error,
                              std::chrono::microseconds(900), std::chrono::microseconds(700));
      }
    }
  }
  for (auto _ : state) benchmark::DoNotOptimize(registry.Render());
}
BENCHMARK(BM_Render);

}  // namespace
}  // namespace xks::metrics

BENCHMARK_MAIN();
