#include "proxy/api/auth_failure_tracker.h"

#include <gtest/gtest.h>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using std::chrono::seconds;

TEST(AuthFailureTrackerTest, RemembersAFailureForAtLeastItsMemory) {
  testing::ManualClock clock;
  AuthFailureTracker tracker({std::chrono::milliseconds(60000), 16, 1}, clock.AsFunction());
  EXPECT_FALSE(tracker.RecentlyFailed("192.0.2.1"));
  tracker.NoteFailure("192.0.2.1");
  EXPECT_TRUE(tracker.RecentlyFailed("192.0.2.1"));
  EXPECT_FALSE(tracker.RecentlyFailed("192.0.2.2"));
  clock.Advance(seconds(59));
  EXPECT_TRUE(tracker.RecentlyFailed("192.0.2.1"));
  clock.Advance(seconds(60));  // one generation turn: still remembered
  EXPECT_TRUE(tracker.RecentlyFailed("192.0.2.1"));
  clock.Advance(seconds(60));  // the second turn forgets it
  EXPECT_FALSE(tracker.RecentlyFailed("192.0.2.1"));
}

TEST(AuthFailureTrackerTest, ARepeatedFailureRenewsTheMemory) {
  testing::ManualClock clock;
  AuthFailureTracker tracker({std::chrono::milliseconds(1000), 16, 1}, clock.AsFunction());
  for (int i = 0; i < 10; ++i) {
    tracker.NoteFailure("198.51.100.9");
    clock.Advance(seconds(1));
    EXPECT_TRUE(tracker.RecentlyFailed("198.51.100.9")) << i;
  }
}

TEST(AuthFailureTrackerTest, MemoryIsBounded) {
  testing::ManualClock clock;
  AuthFailureTracker tracker({std::chrono::milliseconds(1000), 3, 1}, clock.AsFunction());
  for (int i = 0; i < 100; ++i) tracker.NoteFailure("203.0.113." + std::to_string(i));
  int remembered = 0;
  for (int i = 0; i < 100; ++i)
    remembered += tracker.RecentlyFailed("203.0.113." + std::to_string(i));
  EXPECT_EQ(remembered, 3);
}

TEST(AuthFailureTrackerTest, AFewStrayFailuresDoNotDemoteAnAddress) {
  testing::ManualClock clock;
  AuthFailureTracker tracker({std::chrono::milliseconds(60000), 16, 8}, clock.AsFunction());
  for (int i = 0; i < 7; ++i) tracker.NoteFailure("192.0.2.7");
  EXPECT_FALSE(tracker.RecentlyFailed("192.0.2.7"));
  clock.Advance(seconds(61));  // a generation turn keeps the count of the previous one
  tracker.NoteFailure("192.0.2.7");
  EXPECT_TRUE(tracker.RecentlyFailed("192.0.2.7"));
  clock.Advance(seconds(121));  // both generations forgotten
  EXPECT_FALSE(tracker.RecentlyFailed("192.0.2.7"));
  // The default threshold is more than one failure.
  AuthFailureTracker defaults({}, clock.AsFunction());
  defaults.NoteFailure("192.0.2.8");
  EXPECT_FALSE(defaults.RecentlyFailed("192.0.2.8"));
}

TEST(AuthFailureTrackerTest, AFullTableStillCatchesANewFailingAddress) {
  testing::ManualClock clock;
  AuthFailureTracker tracker({std::chrono::milliseconds(60000), 64, 8}, clock.AsFunction());
  // One-off failures from many addresses fill the table first.
  for (int i = 0; i < 1000; ++i) {
    tracker.NoteFailure("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1");
  }
  for (int i = 0; i < 8; ++i) tracker.NoteFailure("198.51.100.77");
  EXPECT_TRUE(tracker.RecentlyFailed("198.51.100.77")) << "a flooding address is demoted";
  EXPECT_FALSE(tracker.RecentlyFailed("198.51.100.78")) << "an address that never failed is not";
}

TEST(AuthFailureTrackerTest, IPv6AddressesAreCountedPerSlash64) {
  EXPECT_EQ(AuthFailureTracker::FailureKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64");
  EXPECT_EQ(AuthFailureTracker::FailureKey("::ffff:192.0.2.5"), "192.0.2.5");
  EXPECT_EQ(AuthFailureTracker::FailureKey("192.0.2.5"), "192.0.2.5");
  EXPECT_EQ(AuthFailureTracker::FailureKey("not an address"), "not an address");

  testing::ManualClock clock;
  AuthFailureTracker tracker({std::chrono::milliseconds(60000), 16, 8}, clock.AsFunction());
  // Eight addresses of one /64, one failure each: one network failing eight times.
  for (int i = 1; i <= 8; ++i) tracker.NoteFailure("2001:db8:1:2::" + std::to_string(i));
  EXPECT_TRUE(tracker.RecentlyFailed("2001:db8:1:2::ffff"));
  EXPECT_FALSE(tracker.RecentlyFailed("2001:db8:1:3::1")) << "the next /64 is another network";
}

}  // namespace
}  // namespace xks::api
