#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace xks::loadgen {
namespace {

constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << Histogram::kSubBucketBits;
constexpr std::uint64_t kHalf = kSubBuckets / 2;

}  // namespace

std::size_t Histogram::BucketOf(std::uint64_t value) {
  value = std::min(value, kMaxTrackable);
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  // The top kSubBucketBits bits of the value select the bucket: the value shifted right until it
  // lies in [kHalf, kSubBuckets), plus kHalf buckets for every shift.
  const int msb = std::bit_width(value) - 1;
  const int shift = msb - (kSubBucketBits - 1);
  return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * kHalf + (value >> shift));
}

std::uint64_t Histogram::BucketLow(std::size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const std::uint64_t shift = bucket / kHalf - 1;
  const std::uint64_t mantissa = bucket % kHalf + kHalf;
  return mantissa << shift;
}

std::uint64_t Histogram::BucketHigh(std::size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const std::uint64_t shift = bucket / kHalf - 1;
  return BucketLow(bucket) + (std::uint64_t{1} << shift) - 1;
}

Histogram::Histogram() : counts_(BucketOf(kMaxTrackable) + 1, 0) {}

void Histogram::Record(std::uint64_t value) {
  ++counts_[BucketOf(value)];
  if (count_ == 0 || value < min_) min_ = value;
  max_ = std::max(max_, value);
  ++count_;
  sum_ += static_cast<double>(value);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

std::uint64_t Histogram::ValueAtPercentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The rank of the wanted value, 1-based; at least 1 so p=0 answers the smallest bucket. The
  // small tolerance keeps 99.9% of 1000 at rank 999: 99.9 has no exact binary form.
  const double exact = p / 100.0 * static_cast<double>(count_);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(exact - 1e-6)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketHigh(i), min_, max_);
  }
  return max_;
}

}  // namespace xks::loadgen
