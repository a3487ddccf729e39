#include "proxy/metrics/family.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "proxy/metrics/metric.h"

namespace xks::metrics {
namespace {

Family<Counter> MakeCounters(std::size_t capacity = 1024) {
  return Family<Counter>(
      {"a", "b"}, [] { return std::make_unique<Counter>(); }, capacity);
}

TEST(FamilyTest, SameValuesGiveTheSameMetric) {
  auto family = MakeCounters();
  Counter& first = family.With({"x", "y"});
  first.Inc();
  EXPECT_EQ(&family.With({"x", "y"}), &first);
  EXPECT_NE(&family.With({"x", "z"}), &first);
  // The separator keeps ("ab","c") apart from ("a","bc").
  EXPECT_NE(&family.With({"ab", "c"}), &family.With({"a", "bc"}));
  EXPECT_EQ(family.With({"x", "y"}).Value(), 1u);
}

TEST(FamilyTest, VisitsEveryCombinationInCreationOrder) {
  auto family = MakeCounters();
  family.With({"1", "1"}).Inc(5);
  family.With({"2", "2"}).Inc(7);
  std::vector<std::string> seen;
  family.ForEach([&](const std::vector<std::string>& values, const Counter& c) {
    seen.push_back(values[0] + values[1] + "=" + std::to_string(c.Value()));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"11=5", "22=7"}));
}

TEST(FamilyTest, CombinationsBeyondCapacityShareTheOverflowSeries) {
  auto family = MakeCounters(2);
  Counter& a = family.With({"1", "1"});
  Counter& b = family.With({"2", "2"});
  Counter& c = family.With({"3", "3"});
  Counter& d = family.With({"4", "4"});
  EXPECT_NE(&a, &b);
  EXPECT_EQ(&c, &d);
  EXPECT_EQ(&family.With({"1", "1"}), &a);  // existing ones are still found
  std::vector<std::string> last;
  family.ForEach([&](const std::vector<std::string>& values, const Counter&) { last = values; });
  EXPECT_EQ(last, (std::vector<std::string>{"overflow", "overflow"}));
}

TEST(FamilyTest, ConcurrentUpdatesAreAllCounted) {
  auto family = MakeCounters();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&family, t] {
      const std::string mine = std::to_string(t % 2);
      for (int i = 0; i < kPerThread; ++i) family.With({"op", mine}).Inc();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.With({"op", "0"}).Value() + family.With({"op", "1"}).Value(),
            std::uint64_t{kThreads} * kPerThread);
  std::size_t combinations = 0;
  family.ForEach([&](const std::vector<std::string>&, const Counter&) { ++combinations; });
  EXPECT_EQ(combinations, 2u);
}

TEST(HistogramTest, CountsIntoLessOrEqualBuckets) {
  const double bounds[] = {0.1, 0.5};
  Histogram h(bounds);
  h.Observe(0.1);  // on the bound: its bucket
  h.Observe(0.2);
  h.Observe(0.7);
  h.Observe(9);
  const auto s = h.Read();
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{1, 1, 2}));
  EXPECT_DOUBLE_EQ(s.sum, 10.0);
}

TEST(GaugeTest, SetsAndAdds) {
  Gauge g;
  g.Set(3);
  g.Add(-1.5);
  EXPECT_DOUBLE_EQ(g.Value(), 1.5);
}

}  // namespace
}  // namespace xks::metrics
