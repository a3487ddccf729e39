#include "proxy/api/deadline_watch.h"

#include <gtest/gtest.h>

#include <vector>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using testing::ManualClock;

TEST(DeadlineWatchTest, HandsOverOnlyEntriesPastTheirDeadlineThatStillExist) {
  ManualClock clock;
  std::vector<int> seen;
  DeadlineWatch watch(
      clock.AsFunction(),
      [&](std::shared_ptr<void> target) { seen.push_back(*std::static_pointer_cast<int>(target)); },
      DeadlineWatch::Options{.start_thread = false});
  auto first = std::make_shared<int>(1);
  auto second = std::make_shared<int>(2);
  auto gone = std::make_shared<int>(3);
  const Deadline now = clock.Now();
  watch.Add(now + std::chrono::milliseconds(20), second);
  watch.Add(now + std::chrono::milliseconds(10), first);
  watch.Add(now + std::chrono::milliseconds(10), gone);
  gone.reset();  // answered in time
  EXPECT_EQ(watch.ExpireDue(), 0u);
  clock.Advance(std::chrono::milliseconds(10));
  EXPECT_EQ(watch.ExpireDue(), 1u);
  EXPECT_EQ(seen, std::vector<int>{1});
  EXPECT_EQ(watch.pending(), 1u);
  clock.Advance(std::chrono::milliseconds(10));
  EXPECT_EQ(watch.ExpireDue(), 1u);
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_EQ(watch.pending(), 0u);
  EXPECT_EQ(watch.ExpireDue(), 0u);  // each entry once
}

TEST(DeadlineWatchTest, TheBackgroundThreadHandsOverWithoutBeingAsked) {
  std::mutex mu;
  std::condition_variable cv;
  bool handed = false;
  DeadlineWatch watch([] { return std::chrono::steady_clock::now(); },
                      [&](std::shared_ptr<void>) {
                        std::lock_guard l(mu);
                        handed = true;
                        cv.notify_all();
                      },
                      DeadlineWatch::Options{.tick = std::chrono::milliseconds(1)});
  auto target = std::make_shared<int>(0);
  watch.Add(std::chrono::steady_clock::now(), target);
  std::unique_lock l(mu);
  EXPECT_TRUE(cv.wait_for(l, std::chrono::seconds(30), [&] { return handed; }));
}

}  // namespace
}  // namespace xks::api
