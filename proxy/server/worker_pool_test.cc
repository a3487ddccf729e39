#include "proxy/server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>

namespace xks::server {
namespace {

TEST(WorkerPoolTest, RunsEveryAcceptedJob) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ran.fetch_add(1); }));
  }  // the destructor drains the queue
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPoolTest, RefusesWhenQueueFull) {
  WorkerPool pool(1, 2);
  std::latch entered(1), release(1);
  ASSERT_TRUE(pool.TrySubmit([&] {
    entered.count_down();
    release.wait();
  }));
  entered.wait();  // the only worker is busy; the queue is empty
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit([] { ADD_FAILURE() << "a refused job ran"; }));
  release.count_down();
  pool.Stop();
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPoolTest, RefusesAfterStop) {
  WorkerPool pool(1, 4);
  pool.Stop();
  pool.Stop();  // idempotent
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace xks::server
