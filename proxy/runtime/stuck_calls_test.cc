#include "proxy/runtime/stuck_calls.h"

#include <gtest/gtest.h>

namespace xks::runtime {
namespace {

using std::chrono::milliseconds;
const StuckCallLimiter::TimePoint kT0{std::chrono::hours(1)};

TEST(StuckCallLimiterTest, CountsOnlyCallsInFlightPastTheirDeadline) {
  StuckCallLimiter limiter(2);
  auto a = limiter.Admit(kT0 + milliseconds(10), kT0);
  auto b = limiter.Admit(kT0 + milliseconds(20), kT0);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(limiter.Stuck(kT0 + milliseconds(10)), 0u) << "at the deadline it is not late yet";
  EXPECT_EQ(limiter.Stuck(kT0 + milliseconds(11)), 1u);
  EXPECT_EQ(limiter.Stuck(kT0 + milliseconds(21)), 2u);
}

TEST(StuckCallLimiterTest, RefusesAtTheCapAndAdmitsAgainWhenAStuckCallReturns) {
  StuckCallLimiter limiter(1);
  auto stuck = limiter.Admit(kT0 + milliseconds(10), kT0);
  ASSERT_TRUE(stuck);
  EXPECT_TRUE(limiter.Admit(kT0 + milliseconds(99), kT0 + milliseconds(5))) << "not late yet";
  EXPECT_FALSE(limiter.Admit(kT0 + milliseconds(99), kT0 + milliseconds(11)));
  stuck.reset();  // the HSM returned
  EXPECT_EQ(limiter.Stuck(kT0 + milliseconds(11)), 0u);
  EXPECT_TRUE(limiter.Admit(kT0 + milliseconds(99), kT0 + milliseconds(11)));
}

TEST(StuckCallLimiterTest, AMovedAdmissionCountsOnce) {
  StuckCallLimiter limiter(5);
  auto first = limiter.Admit(kT0, kT0);
  ASSERT_TRUE(first);
  {
    StuckCallLimiter::Admission moved(std::move(*first));
    first.reset();  // the moved-from admission releases nothing
    EXPECT_EQ(limiter.Stuck(kT0 + milliseconds(1)), 1u);
  }
  EXPECT_EQ(limiter.Stuck(kT0 + milliseconds(1)), 0u);
}

}  // namespace
}  // namespace xks::runtime
