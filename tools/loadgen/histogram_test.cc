#include "tools/loadgen/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace xks::loadgen {
namespace {

TEST(HistogramTest, EmptyAnswersZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 50u);
  EXPECT_EQ(h.ValueAtPercentile(90), 90u);
  EXPECT_EQ(h.ValueAtPercentile(99), 99u);
  EXPECT_EQ(h.ValueAtPercentile(100), 100u);
  EXPECT_EQ(h.ValueAtPercentile(0), 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(HistogramTest, PercentileRanksAreCeilOfShare) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) h.Record(v);
  // 99.9% of 1000 is rank 999 exactly (no floating-point spill to rank 1000).
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(99.9)), 999.0, 999.0 / 128);
  EXPECT_GE(h.ValueAtPercentile(99.9), 999u);
  EXPECT_EQ(h.ValueAtPercentile(100), 1000u);
}

TEST(HistogramTest, LargeValuesWithinRelativePrecision) {
  Histogram h;
  for (std::uint64_t v : {1000u, 12345u, 987654u, 45000000u}) {
    Histogram one;
    one.Record(v);
    // A single value: every percentile is clamped into [min, max], so exact.
    EXPECT_EQ(one.ValueAtPercentile(50), v);
    const std::size_t b = Histogram::BucketOf(v);
    EXPECT_LE(Histogram::BucketLow(b), v);
    EXPECT_GE(Histogram::BucketHigh(b), v);
    EXPECT_LE(static_cast<double>(Histogram::BucketHigh(b) - Histogram::BucketLow(b)),
              static_cast<double>(v) / 128.0);
    h.Record(v);
  }
  h.Record(1);
  // The 3rd smallest of 5 (12345) is reported as its bucket's high edge, within 1/128.
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(60)), 12345.0, 12345.0 / 128);
  EXPECT_GE(h.ValueAtPercentile(60), 12345u);
}

TEST(HistogramTest, BucketsAreContiguousAndOrdered) {
  for (std::size_t b = 1; b < Histogram::BucketOf(Histogram::kMaxTrackable); ++b) {
    ASSERT_EQ(Histogram::BucketLow(b), Histogram::BucketHigh(b - 1) + 1) << b;
    ASSERT_EQ(Histogram::BucketOf(Histogram::BucketLow(b)), b);
    ASSERT_EQ(Histogram::BucketOf(Histogram::BucketHigh(b)), b);
  }
}

TEST(HistogramTest, HugeValuesClampButMaxStaysExact) {
  Histogram h;
  h.Record(Histogram::kMaxTrackable * 4);
  EXPECT_EQ(h.max(), Histogram::kMaxTrackable * 4);
  EXPECT_EQ(h.ValueAtPercentile(50), Histogram::kMaxTrackable * 4);
}

TEST(HistogramTest, MergeAddsCountsAndKeepsExtremes) {
  Histogram a, b;
  for (int i = 0; i < 90; ++i) a.Record(100);
  for (int i = 0; i < 10; ++i) b.Record(5000);
  b.Record(7);
  a.Merge(b);
  EXPECT_EQ(a.count(), 101u);
  EXPECT_EQ(a.min(), 7u);
  EXPECT_EQ(a.max(), 5000u);
  EXPECT_EQ(a.ValueAtPercentile(50), 100u);
  EXPECT_NEAR(static_cast<double>(a.ValueAtPercentile(95)), 5000.0, 5000.0 / 128);
  Histogram empty;
  a.Merge(empty);
  EXPECT_EQ(a.count(), 101u);
  empty.Merge(b);
  EXPECT_EQ(empty.min(), 7u);
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.ValueAtPercentile(99), 0u);
}

}  // namespace
}  // namespace xks::loadgen
