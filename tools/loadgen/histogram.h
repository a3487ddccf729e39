#pragma once
// A latency histogram with log-linear buckets (the HdrHistogram layout, hand-written and small):
// every value below 2^kSubBucketBits is its own bucket, and each power of two above that is split
// into 2^(kSubBucketBits-1) equal buckets, so a reported percentile is within 1/128 (0.8%) of the
// true value at any magnitude. Recording is an index computation and one increment: cheap enough
// for every request. Values are integers in the caller's unit (xks-loadgen records microseconds).
//
// Thread safety: none; each worker owns its histograms and the results are merged afterwards.

#include <cstdint>
#include <vector>

namespace xks::loadgen {

class Histogram {
 public:
  /// Sub-bucket resolution: values below 256 are exact; above, 128 buckets per power of two.
  static constexpr int kSubBucketBits = 8;
  /// Largest value kept apart; larger values count in the last bucket (max() stays exact).
  static constexpr std::uint64_t kMaxTrackable = (std::uint64_t{1} << 36) - 1;

  Histogram();

  /// Counts one value (values above kMaxTrackable are clamped into the last bucket).
  void Record(std::uint64_t value);
  /// Adds every count of `other`.
  void Merge(const Histogram& other);
  /// Forgets everything.
  void Reset();

  std::uint64_t count() const { return count_; }
  /// Exact smallest and largest values recorded (0 when empty).
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  /// Arithmetic mean of the recorded values (0 when empty).
  double mean() const;

  /// The value at percentile `p` (0..100): the highest value equivalent to the bucket holding the
  /// ceil(p/100 * count)-th smallest value, never above max(). 0 when empty. p=100 gives max().
  std::uint64_t ValueAtPercentile(double p) const;

  /// The bucket a value lands in, and the smallest and largest values of a bucket (for tests).
  static std::size_t BucketOf(std::uint64_t value);
  static std::uint64_t BucketLow(std::size_t bucket);
  static std::uint64_t BucketHigh(std::size_t bucket);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace xks::loadgen
