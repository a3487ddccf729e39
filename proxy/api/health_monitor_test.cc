#include "proxy/api/health_monitor.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using testing::FakeKeyBackend;
using testing::ManualClock;
using testing::RecordingLogger;

class HealthMonitorTest : public ::testing::Test {
 protected:
  HealthMonitorTest() : monitor_(backend_, Options(), clock_.AsFunction(), &logger_) {
    monitor_.SetTokens({"a", "b"});
  }
  static HealthMonitorOptions Options() {
    HealthMonitorOptions o;
    o.interval = std::chrono::seconds(20);
    o.max_age = std::chrono::seconds(60);
    o.degraded_latency = std::chrono::milliseconds(100);
    o.check_timeout = std::chrono::seconds(2);
    o.live_failure_run = 3;
    o.live_failure_window = std::chrono::seconds(10);
    return o;
  }
  void NoteFailures(const std::string& token, int n) {
    for (int i = 0; i < n; ++i) monitor_.NoteOutcome(token, HsmOutcome::kHsmFailure);
  }
  FakeKeyBackend backend_;
  ManualClock clock_;
  RecordingLogger logger_;
  HealthMonitor monitor_;
};

TEST_F(HealthMonitorTest, UnavailableBeforeTheFirstCheck) {
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 0);
}

TEST_F(HealthMonitorTest, FreshSuccessfulCheckIsActive) {
  monitor_.CheckNow();
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kActive);
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 2);
  EXPECT_EQ(monitor_.Status("unknown"), HealthStatus::kUnavailable);
}

TEST_F(HealthMonitorTest, FailedCheckIsUnavailableForThatTokenOnly) {
  backend_.SetHealth("b", false);
  monitor_.CheckNow();
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kUnavailable);
  backend_.SetHealth("b", true);
  monitor_.CheckNow();
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kActive);
}

TEST_F(HealthMonitorTest, ResultOlderThanMaxAgeIsUnavailable) {
  monitor_.CheckNow();
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "exactly 60 s is still fresh";
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
}

TEST_F(HealthMonitorTest, SlowCheckIsDegraded) {
  backend_.SetHealthCheckDelay([this] { clock_.Advance(std::chrono::milliseconds(150)); });
  monitor_.CheckNow();
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kDegraded);
}

TEST_F(HealthMonitorTest, RemovedTokensAreForgotten) {
  monitor_.CheckNow();
  monitor_.SetTokens({"a"});
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kUnavailable);
  monitor_.SetTokens({"a", "b"});
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kUnavailable) << "until checked again";
}

TEST_F(HealthMonitorTest, BackgroundThreadRunsRoundsAndStops) {
  monitor_.Start();
  monitor_.Start();  // idempotent
  monitor_.WaitForRounds(1);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
  monitor_.Stop();
  const auto rounds = monitor_.rounds_completed();
  monitor_.Stop();  // idempotent
  EXPECT_EQ(monitor_.rounds_completed(), rounds);
  EXPECT_GE(backend_.calls("CheckTokenHealth"), 2);
}

TEST_F(HealthMonitorTest, ARunOfLiveHsmFailuresMakesThatTokenUnavailableAtOnce) {
  monitor_.CheckNow();
  NoteFailures("a", 2);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "two failures may be a glitch";
  NoteFailures("a", 1);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kActive);
}

TEST_F(HealthMonitorTest, ALiveSuccessEndsTheRunAndTurnsTheTokenBack) {
  monitor_.CheckNow();
  NoteFailures("a", 3);
  monitor_.NoteOutcome("a", HsmOutcome::kSuccess);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
  NoteFailures("a", 2);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "the run started over";
}

TEST_F(HealthMonitorTest, ASuccessfulDeepCheckTurnsTheTokenBack) {
  monitor_.CheckNow();
  NoteFailures("a", 3);
  monitor_.CheckNow();
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
  NoteFailures("a", 2);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "the check ended the run";
}

TEST_F(HealthMonitorTest, ALiveSuccessOverridesAFailedDeepCheck) {
  backend_.SetHealth("a", false);
  monitor_.CheckNow();
  ASSERT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
  monitor_.NoteOutcome("a", HsmOutcome::kSuccess);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
}

TEST_F(HealthMonitorTest, ClientErrorsNeitherCountNorBreakARun) {
  monitor_.CheckNow();
  for (int i = 0; i < 10; ++i) monitor_.NoteOutcome("a", HsmOutcome::kClientError);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
  NoteFailures("a", 2);
  monitor_.NoteOutcome("a", HsmOutcome::kClientError);
  NoteFailures("a", 1);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
}

TEST_F(HealthMonitorTest, FailuresSpreadBeyondTheWindowDoNotAddUp) {
  monitor_.CheckNow();
  NoteFailures("a", 2);
  clock_.Advance(std::chrono::seconds(10) + std::chrono::milliseconds(1));
  NoteFailures("a", 2);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "a new run of two";
  NoteFailures("a", 1);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
}

TEST_F(HealthMonitorTest, LiveOutcomesNeverMakeAnUncheckedTokenActive) {
  monitor_.NoteOutcome("a", HsmOutcome::kSuccess);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
  monitor_.NoteOutcome("unknown", HsmOutcome::kHsmFailure);  // ignored
  EXPECT_EQ(monitor_.Status("unknown"), HealthStatus::kUnavailable);
}

TEST(HealthMonitorOptionsTest, ZeroRunIgnoresLiveOutcomes) {
  FakeKeyBackend backend;
  ManualClock clock;
  HealthMonitorOptions options;
  options.live_failure_run = 0;
  HealthMonitor monitor(backend, options, clock.AsFunction());
  monitor.SetTokens({"a"});
  monitor.CheckNow();
  for (int i = 0; i < 5; ++i) monitor.NoteOutcome("a", HsmOutcome::kHsmFailure);
  EXPECT_EQ(monitor.Status("a"), HealthStatus::kActive);
}

// Holds every health check inside the "HSM" until Open(), like a hung C_Encrypt.
class CheckGate {
 public:
  void Enter() {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  bool WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

class StuckCheckTest : public HealthMonitorTest {
 protected:
  // Runs a round on its own thread whose first check ("a") stays inside the backend until
  // gate_.Open(); "b" waits behind it.
  void StartStuckRound() {
    monitor_.CheckNow();
    backend_.SetHealthCheckDelay([this] { gate_.Enter(); });
    round_ = std::thread([this] { monitor_.CheckNow(); });
    ASSERT_TRUE(gate_.WaitEntered(1));
  }
  void TearDown() override {
    gate_.Open();
    if (round_.joinable()) round_.join();
  }
  CheckGate gate_;
  std::thread round_;
};

TEST_F(StuckCheckTest, ACheckPastItsTimeoutReadsUnavailableWhileStillRunning) {
  StartStuckRound();
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "at the deadline it may still answer";
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kActive) << "waiting behind a, not failed";
  gate_.Open();
  round_.join();
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kDegraded) << "finished: successful but slow";
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kActive);
}

TEST_F(StuckCheckTest, ALiveSuccessAfterTheDeadlineOverridesTheStuckCheck) {
  StartStuckRound();
  monitor_.NoteOutcome("a", HsmOutcome::kSuccess);
  clock_.Advance(std::chrono::seconds(3));
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable) << "that success came before";
  monitor_.NoteOutcome("a", HsmOutcome::kSuccess);
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
}

TEST(HealthStatusTest, WireSpelling) {
  EXPECT_EQ(HealthStatusString(HealthStatus::kActive), "ACTIVE");
  EXPECT_EQ(HealthStatusString(HealthStatus::kDegraded), "DEGRADED");
  EXPECT_EQ(HealthStatusString(HealthStatus::kUnavailable), "UNAVAILABLE");
}

}  // namespace
}  // namespace xks::api
