#pragma once
// A set of metric families and the scrape that renders them in the Prometheus text format.
// Families are registered once at startup (names checked then; a bad name is a programming error
// and aborts); the values they hand out are updated lock-free (family.h, metric.h). Callback
// families compute their samples at scrape time from state that already exists elsewhere (queue
// depths, health, server counters), so those cost the request path nothing at all.
//
// Thread-safe: registration, updates and Render may run concurrently. Families live as long as
// the registry; references to them stay valid.

#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/metrics/family.h"
#include "proxy/metrics/metric.h"

namespace xks::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

/// Receives one sample of a callback family: its label values (one per label name) and value.
using Emit = std::function<void(std::initializer_list<std::string_view> values, double value)>;
/// Calls `emit` once per sample; runs on the scraping thread, must not block for long.
using Collect = std::function<void(const Emit& emit)>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> labels, std::span<const double> bounds);
  /// A counter or gauge family whose samples `collect` produces at each scrape.
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::vector<std::string> labels, Collect collect);

  /// Every family in registration order: HELP, TYPE, then its samples. A family without a
  /// sample still gets its HELP and TYPE lines.
  std::string Render() const;

  struct Entry;  // registry.cc

 private:
  void Add(std::unique_ptr<Entry> entry);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace xks::metrics
