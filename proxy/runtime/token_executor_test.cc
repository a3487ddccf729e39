#include "proxy/runtime/token_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace xks::runtime {
namespace {

using Clock = TokenExecutor::Clock;
using Outcome = TokenExecutor::Outcome;
using std::chrono::milliseconds;

// A gate the tasks wait at until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A clock that moves only when the test says so.
class FakeClock {
 public:
  Clock::time_point Now() const { return base_ + std::chrono::nanoseconds(offset_.load()); }
  void Advance(std::chrono::nanoseconds d) { offset_ += d.count(); }
  TokenExecutor::NowFunction Function() {
    return [this] { return Now(); };
  }

 private:
  const Clock::time_point base_ = Clock::now();
  std::atomic<std::int64_t> offset_{0};
};

// Polls `condition` (the executor's threads get there in their own time); false after 30 s, which
// only a broken executor takes.
template <typename Condition>
bool Eventually(Condition condition) {
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  while (!condition()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

const Clock::time_point kFarAway = Clock::now() + std::chrono::hours(1);

// Submits a task that records how it was called; returns what Submit returned.
bool SubmitRecording(TokenExecutor& executor, Clock::time_point deadline,
                     std::atomic<int>& outcome) {
  return executor.Submit([&outcome](Outcome o) { outcome = static_cast<int>(o); }, deadline);
}

constexpr int Code(Outcome o) { return static_cast<int>(o); }

TEST(TokenExecutorTest, RunsAsManyTasksAtOnceAsItHasThreadsAndQueuesTheRest) {
  TokenExecutor executor({.name = "test", .threads = 2, .queue_limit = 10, .now = {}});
  Gate gate;
  std::atomic<int> started{0}, ran{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(executor.Submit(
        [&](Outcome outcome) {
          ++started;
          gate.Wait();
          if (outcome == Outcome::kRun) ++ran;
        },
        kFarAway));
  }
  ASSERT_TRUE(Eventually([&] { return executor.stats().running == 2; }));
  EXPECT_EQ(executor.stats().queued, 3u);
  EXPECT_EQ(started.load(), 2) << "a third task started while two threads were busy";
  gate.Open();
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(ran.load(), 5);
  EXPECT_EQ(executor.stats().completed, 5u);
}

TEST(TokenExecutorTest, RefusesAtOnceWhenTheQueueIsFull) {
  TokenExecutor executor({.name = "test", .threads = 1, .queue_limit = 2, .now = {}});
  Gate gate;
  auto blocked = [&](Outcome) { gate.Wait(); };
  // A burst: whether or not the thread took the first task yet, it is not counted as waiting.
  ASSERT_TRUE(executor.Submit(blocked, kFarAway));
  ASSERT_TRUE(executor.Submit(blocked, kFarAway));
  ASSERT_TRUE(executor.Submit(blocked, kFarAway));
  std::atomic<int> outcome{-1};
  EXPECT_FALSE(SubmitRecording(executor, kFarAway, outcome));
  EXPECT_EQ(outcome.load(), Code(Outcome::kQueueFull)) << "a refused task is told so at once";
  EXPECT_EQ(executor.stats().refused_queue_full, 1u);
  gate.Open();
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(outcome.load(), Code(Outcome::kQueueFull)) << "a refused task must never run";
}

TEST(TokenExecutorTest, ShedsATaskWhoseWaitWouldOutlastItsDeadline) {
  FakeClock clock;
  TokenExecutor executor(
      {.name = "test", .threads = 1, .queue_limit = 10, .now = clock.Function()});
  // One task that takes 10 ms teaches the executor its service time.
  ASSERT_TRUE(executor.Submit([&](Outcome) { clock.Advance(milliseconds(10)); }, kFarAway));
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  ASSERT_EQ(executor.stats().service_time, milliseconds(10));

  Gate gate;
  ASSERT_TRUE(executor.Submit([&](Outcome) { gate.Wait(); }, kFarAway));
  ASSERT_TRUE(Eventually([&] { return executor.stats().running == 1; }));
  // The running task's 10 ms, then its own 10 ms: 20 ms from now.
  std::atomic<int> late{-1}, in_time{-1}, behind{-1};
  EXPECT_FALSE(SubmitRecording(executor, clock.Now() + milliseconds(15), late));
  EXPECT_EQ(late.load(), Code(Outcome::kWouldMissDeadline));
  EXPECT_TRUE(SubmitRecording(executor, clock.Now() + milliseconds(25), in_time));
  // Now two are ahead of the next one: 30 ms.
  EXPECT_FALSE(SubmitRecording(executor, clock.Now() + milliseconds(25), behind));
  EXPECT_EQ(behind.load(), Code(Outcome::kWouldMissDeadline));
  EXPECT_EQ(executor.stats().refused_deadline, 2u);
  gate.Open();
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(in_time.load(), Code(Outcome::kRun));
}

TEST(TokenExecutorTest, AdmitsEverythingWithAFreeThreadWhateverTheServiceTime) {
  FakeClock clock;
  TokenExecutor executor(
      {.name = "test", .threads = 2, .queue_limit = 10, .now = clock.Function()});
  ASSERT_TRUE(executor.Submit([&](Outcome) { clock.Advance(milliseconds(100)); }, kFarAway));
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  // Slower than the budget on average, but a thread is free: the HSM is asked, not second-guessed.
  std::atomic<int> outcome{-1};
  EXPECT_TRUE(SubmitRecording(executor, clock.Now() + milliseconds(1), outcome));
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(outcome.load(), Code(Outcome::kRun));
}

TEST(TokenExecutorTest, StartsATaskThatOutlivedItsDeadlineInTheQueueAsExpired) {
  FakeClock clock;
  TokenExecutor executor(
      {.name = "test", .threads = 1, .queue_limit = 10, .now = clock.Function()});
  Gate gate;
  ASSERT_TRUE(executor.Submit([&](Outcome) { gate.Wait(); }, kFarAway));
  ASSERT_TRUE(Eventually([&] { return executor.stats().running == 1; }));
  std::atomic<int> outcome{-1};
  ASSERT_TRUE(SubmitRecording(executor, clock.Now() + milliseconds(5), outcome));
  clock.Advance(milliseconds(6));
  gate.Open();
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(outcome.load(), Code(Outcome::kExpired));
  EXPECT_EQ(executor.stats().expired, 1u);
}

TEST(TokenExecutorTest, StopAnswersQueuedTasksAtOnceAndRefusesNewOnes) {
  TokenExecutor executor({.name = "test", .threads = 1, .queue_limit = 10, .now = {}});
  Gate gate;
  std::atomic<int> first{-1};
  ASSERT_TRUE(executor.Submit(
      [&](Outcome outcome) {
        gate.Wait();
        first = static_cast<int>(outcome);
      },
      kFarAway));
  ASSERT_TRUE(Eventually([&] { return executor.stats().running == 1; }));
  std::vector<Outcome> queued;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(executor.Submit([&](Outcome outcome) { queued.push_back(outcome); }, kFarAway));
  }
  executor.Stop();  // the running task is still blocked: the queued ones must not wait for it
  EXPECT_EQ(queued, std::vector<Outcome>(3, Outcome::kStopped));
  std::atomic<int> late{-1};
  EXPECT_FALSE(SubmitRecording(executor, kFarAway, late));
  EXPECT_EQ(late.load(), Code(Outcome::kStopped));
  EXPECT_FALSE(executor.WaitIdle(Clock::now())) << "the running task is not done";
  gate.Open();
  ASSERT_TRUE(executor.WaitIdle(Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(first.load(), Code(Outcome::kRun)) << "a started task finishes normally";
}

TEST(TokenExecutorTest, MayBeDestroyedByOneOfItsOwnTasks) {
  // A reload drops a token while its last request runs: the request's thread destroys the
  // executor it runs on.
  auto executor = std::make_unique<TokenExecutor>(
      TokenExecutor::Options{.name = "test", .threads = 2, .queue_limit = 10, .now = {}});
  std::atomic<bool> destroyed{false};
  TokenExecutor* raw = executor.get();
  ASSERT_TRUE(raw->Submit(
      [&](Outcome) {
        executor.reset();
        destroyed = true;
      },
      kFarAway));
  ASSERT_TRUE(Eventually([&] { return destroyed.load(); }));
}

}  // namespace
}  // namespace xks::runtime
