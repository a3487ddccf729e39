#include "proxy/api/fleet_router.h"

#include <gtest/gtest.h>

#include <vector>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using testing::FakeKeyBackend;
using testing::ManualClock;

class FleetRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    monitor_ =
        std::make_unique<HealthMonitor>(backend_, HealthMonitorOptions{}, clock_.AsFunction());
    monitor_->SetTokens(members_);
    monitor_->CheckNow();
  }
  void SetHealthy(const std::string& token, bool healthy) {
    backend_.SetHealth(token, healthy);
    monitor_->CheckNow();
  }

  const std::vector<std::string> members_ = {"a", "b", "c"};
  FakeKeyBackend backend_;
  ManualClock clock_;
  std::unique_ptr<HealthMonitor> monitor_;
};

TEST_F(FleetRouterTest, TheFewestInFlightWinsAndTiesGoToTheFirstListed) {
  FleetRouter router(*monitor_, clock_.AsFunction());
  MemberLease first = router.Pick(members_);
  EXPECT_EQ(first.token_id(), "a");
  MemberLease second = router.Pick(members_);
  EXPECT_EQ(second.token_id(), "b");
  MemberLease third = router.Pick(members_);
  EXPECT_EQ(third.token_id(), "c");
  EXPECT_EQ(router.InFlight("a"), 1);
  second = MemberLease();  // b's attempt ends
  EXPECT_EQ(router.InFlight("b"), 0);
  EXPECT_EQ(router.Pick(members_).token_id(), "b");
}

TEST_F(FleetRouterTest, AnUnavailableMemberIsTakenOutAndComesBackWhenItsCheckPasses) {
  FleetRouter router(*monitor_, clock_.AsFunction());
  SetHealthy("a", false);
  std::vector<MemberLease> leases;
  for (int i = 0; i < 4; ++i) leases.push_back(router.Pick(members_));
  for (const MemberLease& lease : leases) EXPECT_NE(lease.token_id(), "a");
  leases.clear();
  SetHealthy("a", true);
  EXPECT_EQ(router.Pick(members_).token_id(), "a");
}

TEST_F(FleetRouterTest, WithEveryMemberUnavailableTheLeastLoadedIsStillTried) {
  FleetRouter router(*monitor_, clock_.AsFunction());
  for (const std::string& m : members_) backend_.SetHealth(m, false);
  monitor_->CheckNow();
  MemberLease first = router.Pick(members_);
  EXPECT_EQ(first.token_id(), "a");
  EXPECT_EQ(router.Pick(members_).token_id(), "b");
}

TEST_F(FleetRouterTest, TheRetryLeavesOutTheMemberThatFailed) {
  FleetRouter router(*monitor_, clock_.AsFunction());
  EXPECT_EQ(router.Pick(members_, "a").token_id(), "b");
  const std::vector<std::string> one = {"a"};
  EXPECT_EQ(router.Pick(one, "a").token_id(), "a");  // nowhere else to go
}

TEST_F(FleetRouterTest, AOneMemberFleetIsNotCounted) {
  FleetRouter router(*monitor_, clock_.AsFunction());
  const std::vector<std::string> one = {"a"};
  MemberLease lease = router.Pick(one);
  EXPECT_EQ(lease.token_id(), "a");
  EXPECT_EQ(router.InFlight("a"), 0);
}

TEST_F(FleetRouterTest, MovingALeaseCountsItOnce) {
  FleetRouter router(*monitor_, clock_.AsFunction());
  MemberLease lease = router.Pick(members_);
  MemberLease moved = std::move(lease);
  EXPECT_EQ(router.InFlight("a"), 1);
  MemberLease assigned;
  assigned = std::move(moved);
  EXPECT_EQ(router.InFlight("a"), 1);
  assigned = router.Pick(members_);  // picked while a's attempt still ran; then a's ends
  EXPECT_EQ(router.InFlight("a"), 0);
  EXPECT_EQ(router.InFlight("b"), 1);
}

TEST_F(FleetRouterTest, AMemberThatStopsAnsweringIsPassedOverUntilItAnswers) {
  FleetRouter router(*monitor_, clock_.AsFunction(), std::chrono::milliseconds(50));
  const std::vector<std::string> two = {"a", "b"};
  MemberLease stuck = router.Pick(two);  // on a, then a's HSM hangs
  ASSERT_EQ(stuck.token_id(), "a");
  std::vector<MemberLease> on_b;  // b is the busier one
  for (int i = 0; i < 2; ++i) on_b.push_back(router.Pick(two, "a"));
  ASSERT_EQ(on_b[1].token_id(), "b");
  clock_.Advance(std::chrono::milliseconds(50));
  EXPECT_EQ(router.Pick(two).token_id(), "a") << "not stalled yet: the fewest in flight";
  clock_.Advance(std::chrono::milliseconds(51));
  on_b.back().NoteAnswered();  // b keeps answering: one ends, another begins
  on_b.pop_back();
  on_b.push_back(router.Pick(two, "a"));
  // Nothing has ended on a for 51 ms: b gets the work although it is the busier one.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(router.Pick(two).token_id(), "b") << i;
  stuck.NoteAnswered();  // a's call returns at last
  stuck = MemberLease();
  EXPECT_EQ(router.Pick(two).token_id(), "a");
}

TEST_F(FleetRouterTest, AnIdleMemberIsNeverStalled) {
  FleetRouter router(*monitor_, clock_.AsFunction(), std::chrono::milliseconds(50));
  const std::vector<std::string> two = {"a", "b"};
  router.Pick(two);  // ends at once
  clock_.Advance(std::chrono::seconds(10));
  MemberLease fresh = router.Pick(two);  // a's first attempt in 10 s starts its stall clock
  EXPECT_EQ(fresh.token_id(), "a");
  MemberLease next = router.Pick(two);
  EXPECT_EQ(next.token_id(), "b");
  EXPECT_EQ(router.Pick(two).token_id(), "a") << "a is busy, not stalled";
}

TEST(FleetHealthTest, ActiveWhenAllAreUnavailableWhenNoneServesDegradedOtherwise) {
  using enum HealthStatus;
  const std::vector<HealthStatus> all_active = {kActive, kActive};
  const std::vector<HealthStatus> one_out = {kActive, kUnavailable};
  const std::vector<HealthStatus> one_slow = {kDegraded, kActive};
  const std::vector<HealthStatus> none = {kUnavailable, kUnavailable};
  EXPECT_EQ(FleetHealth(all_active), kActive);
  EXPECT_EQ(FleetHealth(one_out), kDegraded);
  EXPECT_EQ(FleetHealth(one_slow), kDegraded);
  EXPECT_EQ(FleetHealth(none), kUnavailable);
  EXPECT_EQ(FleetHealth({}), kUnavailable);
}

}  // namespace
}  // namespace xks::api
