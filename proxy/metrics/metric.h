#pragma once
// The three metric kinds of the Prometheus data model, as lock-free values: each update is one
// relaxed atomic operation (a compare-and-swap loop for the double sums), so a request never
// waits on a mutex or allocates to be counted. Readers (the scrape) see each value atomically,
// not one consistent view of several.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace xks::metrics {

/// A monotonically increasing count. Thread-safe.
class Counter {
 public:
  void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down. Thread-safe.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit) with
/// their sum. Thread-safe; Observe is a bucket search over the (few) bounds and two atomics.
class Histogram {
 public:
  /// `bounds` must be ascending and finite; it is copied.
  explicit Histogram(std::span<const double> bounds);

  void Observe(double value);

  /// What the exposition needs: per-bucket (not cumulative) counts, the last one for +Inf.
  struct Snapshot {
    std::vector<std::uint64_t> counts;
    double sum = 0;
  };
  Snapshot Read() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  const std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

/// Bucket bounds in seconds for request-scale latencies: 0.5 ms up to 1 s (KMS gives up at
/// 250 ms, so the interesting range is well resolved).
inline constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.15,  0.2,    0.25,  0.5,  1.0};

}  // namespace xks::metrics
