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
  FleetRouter router(*monitor_);
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
  FleetRouter router(*monitor_);
  SetHealthy("a", false);
  std::vector<MemberLease> leases;
  for (int i = 0; i < 4; ++i) leases.push_back(router.Pick(members_));
  for (const MemberLease& lease : leases) EXPECT_NE(lease.token_id(), "a");
  leases.clear();
  SetHealthy("a", true);
  EXPECT_EQ(router.Pick(members_).token_id(), "a");
}

TEST_F(FleetRouterTest, WithEveryMemberUnavailableTheLeastLoadedIsStillTried) {
  FleetRouter router(*monitor_);
  for (const std::string& m : members_) backend_.SetHealth(m, false);
  monitor_->CheckNow();
  MemberLease first = router.Pick(members_);
  EXPECT_EQ(first.token_id(), "a");
  EXPECT_EQ(router.Pick(members_).token_id(), "b");
}

TEST_F(FleetRouterTest, TheRetryLeavesOutTheMemberThatFailed) {
  FleetRouter router(*monitor_);
  EXPECT_EQ(router.Pick(members_, "a").token_id(), "b");
  const std::vector<std::string> one = {"a"};
  EXPECT_EQ(router.Pick(one, "a").token_id(), "a");  // nowhere else to go
}

TEST_F(FleetRouterTest, AOneMemberFleetIsNotCounted) {
  FleetRouter router(*monitor_);
  const std::vector<std::string> one = {"a"};
  MemberLease lease = router.Pick(one);
  EXPECT_EQ(lease.token_id(), "a");
  EXPECT_EQ(router.InFlight("a"), 0);
}

TEST_F(FleetRouterTest, MovingALeaseCountsItOnce) {
  FleetRouter router(*monitor_);
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
