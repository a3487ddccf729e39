#include "tools/loadgen/schedule.h"

#include <gtest/gtest.h>

namespace xks::loadgen {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

const Clock::time_point kStart = Clock::time_point(std::chrono::seconds(1000));

TEST(OpenLoopScheduleTest, FixedIntervalsFromStart) {
  OpenLoopSchedule s(kStart, 1000, 1, 0);  // 1000/s: one a millisecond
  EXPECT_EQ(s.IntendedTime(0), kStart);
  EXPECT_EQ(s.IntendedTime(1), kStart + milliseconds(1));
  EXPECT_EQ(s.IntendedTime(1000), kStart + milliseconds(1000));
  EXPECT_DOUBLE_EQ(s.interval_ns(), 1e6);
}

TEST(OpenLoopScheduleTest, DueCountAtBoundaries) {
  OpenLoopSchedule s(kStart, 1000, 1, 0);
  EXPECT_EQ(s.DueCount(kStart - nanoseconds(1)), 0u);
  EXPECT_EQ(s.DueCount(kStart), 1u);  // request 0 is due at the start itself
  EXPECT_EQ(s.DueCount(kStart + microseconds(999)), 1u);
  EXPECT_EQ(s.DueCount(kStart + milliseconds(1)), 2u);
  EXPECT_EQ(s.DueCount(kStart + milliseconds(10) - nanoseconds(1)), 10u);
  EXPECT_EQ(s.DueCount(kStart + milliseconds(10)), 11u);
}

TEST(OpenLoopScheduleTest, LateTimerCatchesUpWithEveryMissedRequest) {
  // A worker that wakes 50 ms late owes the 50 requests it missed, each with its own intended
  // time: that is what keeps queueing visible in the latencies.
  OpenLoopSchedule s(kStart, 1000, 1, 0);
  const std::uint64_t due = s.DueCount(kStart + milliseconds(50) + microseconds(500));
  EXPECT_EQ(due, 51u);
  EXPECT_EQ(s.IntendedTime(due - 1), kStart + milliseconds(50));
}

TEST(OpenLoopScheduleTest, NoDriftOverLongRuns) {
  // 1800/s does not divide a second evenly; k * interval is computed, not accumulated.
  OpenLoopSchedule s(kStart, 1800, 1, 0);
  EXPECT_EQ(s.IntendedTime(1800 * 3600), kStart + std::chrono::hours(1));
  EXPECT_EQ(s.DueCount(kStart + std::chrono::hours(1)), 1800u * 3600u + 1u);
  EXPECT_EQ(s.IntendedTime(1), kStart + nanoseconds(555556));  // rounded to the nanosecond
}

TEST(OpenLoopScheduleTest, WorkersInterleaveIntoTheTotalRate) {
  // Two workers sharing 1000/s: each sends every 2 ms, the second 1 ms after the first.
  OpenLoopSchedule a(kStart, 1000, 2, 0);
  OpenLoopSchedule b(kStart, 1000, 2, 1);
  EXPECT_EQ(a.IntendedTime(0), kStart);
  EXPECT_EQ(b.IntendedTime(0), kStart + milliseconds(1));
  EXPECT_EQ(a.IntendedTime(1), kStart + milliseconds(2));
  EXPECT_EQ(b.IntendedTime(1), kStart + milliseconds(3));
  const auto t = kStart + milliseconds(100);
  EXPECT_EQ(a.DueCount(t) + b.DueCount(t), 101u);  // as many as one worker at 1000/s
  EXPECT_EQ(b.DueCount(kStart + microseconds(999)), 0u);
}

TEST(OpenLoopScheduleTest, LowRates) {
  OpenLoopSchedule s(kStart, 0.5, 1, 0);  // one every two seconds
  EXPECT_EQ(s.IntendedTime(3), kStart + std::chrono::seconds(6));
  EXPECT_EQ(s.DueCount(kStart + std::chrono::seconds(5)), 3u);
}

}  // namespace
}  // namespace xks::loadgen
