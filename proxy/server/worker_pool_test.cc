#include "proxy/server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <string>
#include <vector>

namespace xks::server {
namespace {

TEST(WorkerPoolTest, RunsEveryAcceptedJob) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 1000, 0);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ran.fetch_add(1); }));
  }  // the destructor drains the queue
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPoolTest, RefusesWhenQueueFull) {
  WorkerPool pool(1, 2, 0);
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
  WorkerPool pool(1, 4, 4);
  pool.Stop();
  pool.Stop();  // idempotent
  EXPECT_FALSE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {}, RequestPriority::kLow));
}

// Records the order jobs ran in.
class Journal {
 public:
  void Add(std::string entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  std::vector<std::string> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> entries_;
};

TEST(WorkerPoolTest, NormalJobsAreTakenBeforeLowOnesQueuedEarlier) {
  WorkerPool pool(1, 8, 8);
  Journal journal;
  std::latch entered(1), release(1);
  ASSERT_TRUE(pool.TrySubmit([&] {
    entered.count_down();
    release.wait();
  }));
  entered.wait();  // the only worker is busy; everything below waits in its lane
  for (const char* name : {"low-1", "low-2"}) {
    ASSERT_TRUE(pool.TrySubmit([&journal, name] { journal.Add(name); }, RequestPriority::kLow));
  }
  for (const char* name : {"normal-1", "normal-2"}) {
    ASSERT_TRUE(pool.TrySubmit([&journal, name] { journal.Add(name); }));
  }
  EXPECT_EQ(pool.queued(), 4u);
  EXPECT_EQ(pool.queued(RequestPriority::kLow), 2u);
  EXPECT_EQ(pool.queued(RequestPriority::kNormal), 2u);
  release.count_down();
  pool.Stop();
  EXPECT_EQ(journal.entries(),
            (std::vector<std::string>{"normal-1", "normal-2", "low-1", "low-2"}));
}

TEST(WorkerPoolTest, LowLaneHasItsOwnQueueLimit) {
  WorkerPool pool(1, 1, 2);
  std::latch entered(1), release(1);
  ASSERT_TRUE(pool.TrySubmit([&] {
    entered.count_down();
    release.wait();
  }));
  entered.wait();
  EXPECT_TRUE(pool.TrySubmit([] {}, RequestPriority::kLow));
  EXPECT_TRUE(pool.TrySubmit([] {}, RequestPriority::kLow));
  EXPECT_FALSE(pool.TrySubmit([] { ADD_FAILURE() << "a refused job ran"; }, RequestPriority::kLow));
  // A full low lane does not touch the normal lane, and the other way round.
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] { ADD_FAILURE() << "a refused job ran"; }));
  EXPECT_EQ(pool.queued(), 3u);
  release.count_down();
  pool.Stop();
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPoolTest, LowJobsOccupyAtMostHalfOfTheWorkers) {
  constexpr int kThreads = 4;
  WorkerPool pool(kThreads, 8, 8);
  ASSERT_EQ(pool.max_low_running(), 2u);
  std::atomic<int> low_running{0}, low_peak{0}, low_started{0};
  std::latch two_low_entered(2), release_low(1);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.TrySubmit(
        [&] {
          const int now = low_running.fetch_add(1) + 1;
          int peak = low_peak.load();
          while (now > peak && !low_peak.compare_exchange_weak(peak, now)) {
          }
          if (low_started.fetch_add(1) < 2) two_low_entered.count_down();
          release_low.wait();
          low_running.fetch_sub(1);
        },
        RequestPriority::kLow));
  }
  two_low_entered.wait();  // two kLow jobs hold two workers; two more wait in their lane
  // The two free workers stay free for normal work: both normal jobs run while the kLow ones
  // are still blocked (a wait that would hang if a third kLow job had taken a worker).
  std::latch normal_ran(2);
  ASSERT_TRUE(pool.TrySubmit([&] { normal_ran.count_down(); }));
  ASSERT_TRUE(pool.TrySubmit([&] { normal_ran.count_down(); }));
  normal_ran.wait();
  EXPECT_EQ(low_running.load(), 2);
  EXPECT_EQ(pool.queued(RequestPriority::kLow), 2u);
  release_low.count_down();
  pool.Stop();
  EXPECT_EQ(low_peak.load(), 2);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPoolTest, OneWorkerStillServesTheLowLane) {
  WorkerPool pool(1, 4, 4);
  EXPECT_EQ(pool.max_low_running(), 1u);
  std::latch ran(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&] { ran.count_down(); }, RequestPriority::kLow));
  }
  ran.wait();
}

TEST(WorkerPoolTest, StopDrainsLowJobsHeldBackByTheRunningLimit) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 4, 100);  // one kLow at a time; the other worker idles meanwhile
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(pool.TrySubmit([&] { ran.fetch_add(1); }, RequestPriority::kLow));
    }
  }  // Stop() must neither hang nor drop a job
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace xks::server
