#pragma once
// One metric name with its labels: a fixed-size table from label values to a metric, created
// lazily on first use and never removed. The lookup of an existing combination takes no lock
// and allocates nothing (a hash over the values and a probe of atomic pointers), so it may run
// once per request; only the first use of a combination takes the family's mutex.
//
// Cardinality is bounded: past `capacity` combinations every new one shares a single series
// whose label values are all "overflow" (a configuration with that many tenants is a bug to
// see on a dashboard, not a reason to grow memory without bound).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace xks::metrics {

/// FNV-1a over the values, each followed by a separator byte no label value starts with.
std::uint64_t HashLabelValues(std::initializer_list<std::string_view> values);

/// Thread-safe. `Metric` is Counter, Gauge or Histogram (metric.h).
template <typename Metric>
class Family {
 public:
  using Make = std::function<std::unique_ptr<Metric>()>;

  /// `capacity`: most label combinations (rounded up to a power of two for the table).
  Family(std::vector<std::string> label_names, Make make, std::size_t capacity = 1024)
      : label_names_(std::move(label_names)), make_(std::move(make)) {
    while (slots_size_ < 2 * capacity) slots_size_ *= 2;
    max_cells_ = capacity;
    slots_ = std::make_unique<std::atomic<Cell*>[]>(slots_size_);
  }

  /// The metric for `values` (one per label name, in order). Lock-free once it exists.
  Metric& With(std::initializer_list<std::string_view> values) {
    const std::uint64_t hash = HashLabelValues(values);
    if (Cell* cell = Find(hash, values)) return *cell->metric;
    return Insert(hash, values);
  }

  const std::vector<std::string>& label_names() const { return label_names_; }

  /// Calls `visit(values, metric)` for every combination, in creation order (the scrape).
  void ForEach(
      const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& cell : cells_) visit(cell->values, *cell->metric);
  }

 private:
  struct Cell {
    std::uint64_t hash = 0;
    std::vector<std::string> values;
    std::unique_ptr<Metric> metric;
  };

  static bool Matches(const Cell& cell, std::uint64_t hash,
                      std::initializer_list<std::string_view> values) {
    if (cell.hash != hash || cell.values.size() != values.size()) return false;
    std::size_t i = 0;
    for (std::string_view v : values) {
      if (cell.values[i++] != v) return false;
    }
    return true;
  }

  // Linear probing; cells are only ever added (release) and read (acquire), so a reader sees
  // either nothing or a complete cell.
  Cell* Find(std::uint64_t hash, std::initializer_list<std::string_view> values) const {
    for (std::size_t i = 0; i < slots_size_; ++i) {
      Cell* cell = slots_[(hash + i) & (slots_size_ - 1)].load(std::memory_order_acquire);
      if (cell == nullptr) return nullptr;
      if (Matches(*cell, hash, values)) return cell;
    }
    return nullptr;
  }

  Metric& Insert(std::uint64_t hash, std::initializer_list<std::string_view> values) {
    std::lock_guard lock(mutex_);
    if (Cell* cell = Find(hash, values)) return *cell->metric;  // another thread was first
    if (cells_.size() >= max_cells_) return Overflow();
    auto cell = std::make_unique<Cell>();
    cell->hash = hash;
    cell->values.assign(values.begin(), values.end());
    cell->metric = make_();
    Cell* raw = cell.get();
    cells_.push_back(std::move(cell));
    for (std::size_t i = 0;; ++i) {  // the table is at most half full: a free slot exists
      auto& slot = slots_[(hash + i) & (slots_size_ - 1)];
      if (slot.load(std::memory_order_relaxed) == nullptr) {
        slot.store(raw, std::memory_order_release);
        break;
      }
    }
    return *raw->metric;
  }

  // Called with mutex_ held.
  Metric& Overflow() {
    if (overflow_ == nullptr) {
      auto cell = std::make_unique<Cell>();
      cell->values.assign(label_names_.size(), "overflow");
      cell->metric = make_();
      overflow_ = cell.get();
      cells_.push_back(std::move(cell));
    }
    return *overflow_->metric;
  }

  const std::vector<std::string> label_names_;
  const Make make_;
  std::size_t slots_size_ = 1;
  std::size_t max_cells_ = 0;
  std::unique_ptr<std::atomic<Cell*>[]> slots_;
  mutable std::mutex mutex_;  // cells_, overflow_ and writes to slots_
  std::vector<std::unique_ptr<Cell>> cells_;
  Cell* overflow_ = nullptr;
};

}  // namespace xks::metrics
