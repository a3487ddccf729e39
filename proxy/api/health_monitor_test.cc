#include "proxy/api/health_monitor.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using testing::FakeKeyBackend;
using testing::ManualClock;
using testing::RecordingLogger;

HealthMonitorOptions MonitorTestOptions() {
  HealthMonitorOptions o;
  o.interval = std::chrono::seconds(20);
  o.max_age = std::chrono::seconds(60);
  o.degraded_latency = std::chrono::milliseconds(100);
  o.check_timeout = std::chrono::seconds(2);
  o.probe_interval = std::chrono::seconds(1);
  o.live_failure_run = 3;
  o.live_failure_window = std::chrono::seconds(10);
  return o;
}

class HealthMonitorTest : public ::testing::Test {
 protected:
  HealthMonitorTest() : monitor_(backend_, MonitorTestOptions(), clock_.AsFunction(), &logger_) {
    monitor_.SetTokens({"a", "b"});
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

TEST_F(HealthMonitorTest, AFailingTokenIsLoggedOncePerIntervalAndItsRecoveryOnce) {
  auto lines_about_a = [this] {
    int n = 0;
    for (const auto& line : logger_.lines()) n += line.find("token=a") != std::string::npos;
    return n;
  };
  backend_.SetHealth("a", false);
  for (int i = 0; i < 3; ++i) monitor_.CheckNow();  // probes, a second apart in production
  EXPECT_EQ(lines_about_a(), 1);
  clock_.Advance(std::chrono::seconds(20));
  monitor_.CheckNow();
  EXPECT_EQ(lines_about_a(), 2) << "still failing, an interval later";
  backend_.SetHealth("a", true);
  for (int i = 0; i < 2; ++i) monitor_.CheckNow();
  ASSERT_EQ(lines_about_a(), 3);
  EXPECT_NE(logger_.lines().back().find("passed again token=a"), std::string::npos);
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

// Runs jobs one after the other on its own thread, like one token's executor in HsmKeyBackend.
class TokenWorker {
 public:
  TokenWorker() : thread_([this] { Run(); }) {}
  ~TokenWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();  // after the queued jobs ran
  }
  void Post(std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mu_);
    ++posted_;
    jobs_.push_back(std::move(job));
    cv_.notify_all();
  }
  bool WaitDone(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done_ >= n; });
  }
  int posted() {
    std::lock_guard<std::mutex> lock(mu_);
    return posted_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
      ++done_;
      cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  int posted_ = 0;
  int done_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

// Schedule runs work on a thread per token; a token's checks can be held inside the "HSM" until
// its gate opens, and a token can refuse work (at once or later, on its thread).
class PerTokenThreadBackend : public FakeKeyBackend {
 public:
  ~PerTokenThreadBackend() override {
    for (auto& [token, gate] : gates_) gate->Open();  // lets held work end before the join
    workers_.clear();
  }
  void Hold(const std::string& token) { gates_[token] = std::make_unique<CheckGate>(); }
  CheckGate& gate(const std::string& token) { return *gates_.at(token); }
  void Refuse(const std::string& token, ErrorName name, bool on_token_thread) {
    std::lock_guard<std::mutex> lock(mu_);
    refusals_[token] = {name, on_token_thread};
  }
  void StopRefusing() {
    std::lock_guard<std::mutex> lock(mu_);
    refusals_.clear();
  }
  // Waits until `n` jobs (scheduled work, the monitor's callback included) ended on the token.
  bool WaitWorkDone(const std::string& token, int n) { return Worker(token).WaitDone(n); }
  int WorkPosted(const std::string& token) { return Worker(token).posted(); }

  void Schedule(std::string_view token_id, Deadline, HsmWork work) override {
    std::optional<std::pair<ErrorName, bool>> refusal;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = refusals_.find(std::string(token_id));
      if (it != refusals_.end()) refusal = it->second;
    }
    if (refusal && !refusal->second) return work(Fail(MakeError(refusal->first, "refused")));
    Worker(std::string(token_id)).Post([work = std::move(work), refusal] {
      if (refusal) return work(Fail(MakeError(refusal->first, "refused")));
      work(ProxyResult<void>{});
    });
  }
  ProxyResult<void> CheckTokenHealth(std::string_view token_id, Deadline deadline) override {
    auto gate = gates_.find(std::string(token_id));
    if (gate != gates_.end()) gate->second->Enter();
    return FakeKeyBackend::CheckTokenHealth(token_id, deadline);
  }

 private:
  TokenWorker& Worker(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& worker = workers_[token];
    if (!worker) worker = std::make_unique<TokenWorker>();
    return *worker;
  }
  std::mutex mu_;
  std::map<std::string, std::pair<ErrorName, bool>> refusals_;
  std::map<std::string, std::unique_ptr<CheckGate>> gates_;  // set up before the checks run
  std::map<std::string, std::unique_ptr<TokenWorker>> workers_;
};

// The monitor is declared after the clock and the logger, so it goes first; the backend goes last
// and runs the results of held checks after everything else is gone (ASan checks that).
class PerTokenCheckTest : public ::testing::Test {
 protected:
  PerTokenCheckTest() { Build(MonitorTestOptions()); }
  void Build(HealthMonitorOptions options) {
    monitor_ = std::make_unique<HealthMonitor>(backend_, options, clock_.AsFunction(), &logger_);
    monitor_->SetTokens({"a", "b"});
  }
  void BuildWithCheckTimeout(std::chrono::milliseconds timeout) {
    HealthMonitorOptions options = MonitorTestOptions();
    options.check_timeout = timeout;
    Build(options);
  }
  PerTokenThreadBackend backend_;
  ManualClock clock_;
  RecordingLogger logger_;
  std::unique_ptr<HealthMonitor> monitor_;
};

TEST_F(PerTokenCheckTest, AHungCheckDoesNotDelayAnotherTokensResult) {
  backend_.Hold("a");
  monitor_->Start();
  ASSERT_TRUE(backend_.gate("a").WaitEntered(1));
  ASSERT_TRUE(backend_.WaitWorkDone("b", 1)) << "b was checked while a hangs";
  EXPECT_EQ(monitor_->Status("b"), HealthStatus::kActive);
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kUnavailable) << "never checked";
  EXPECT_EQ(monitor_->rounds_completed(), 0u) << "the pass ends with its last check";
  backend_.gate("a").Open();
  monitor_->WaitForRounds(1);
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
}

TEST_F(PerTokenCheckTest, CheckNowWaitsForAHungTokenOnlyUntilItsTimeout) {
  BuildWithCheckTimeout(std::chrono::milliseconds(50));
  backend_.Hold("a");
  monitor_->CheckNow();  // returns although a's check hangs
  EXPECT_EQ(monitor_->rounds_completed(), 1u);
  EXPECT_EQ(monitor_->Status("b"), HealthStatus::kActive);
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kUnavailable);
  monitor_->CheckNow();
  EXPECT_EQ(backend_.WorkPosted("a"), 1) << "one check in flight, not two";
  EXPECT_EQ(backend_.WorkPosted("b"), 2);
  backend_.gate("a").Open();
  ASSERT_TRUE(backend_.WaitWorkDone("a", 1));
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
}

TEST_F(PerTokenCheckTest, ARefusedScheduleReadsAsAFailedCheck) {
  for (bool on_token_thread : {false, true}) {
    backend_.Refuse("a", on_token_thread ? ErrorName::kDependencyTimeout : ErrorName::kInternal,
                    on_token_thread);
    monitor_->CheckNow();
    EXPECT_EQ(monitor_->Status("a"), HealthStatus::kUnavailable) << on_token_thread;
    EXPECT_EQ(monitor_->Status("b"), HealthStatus::kActive);
    backend_.StopRefusing();
    monitor_->CheckNow();
    EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
  }
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 6) << "refused checks never reach the HSM";
  const auto lines = logger_.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("token=a error=InternalException"), std::string::npos)
      << lines.front();
}

// A token too busy to take its check (queue full, no session free) is serving at capacity: it
// reads DEGRADED, never UNAVAILABLE, and a failed verdict is not turned into a good one.
TEST_F(PerTokenCheckTest, ACheckRefusedForLoadReadsDegradedNotUnavailable) {
  monitor_->CheckNow();
  ASSERT_EQ(monitor_->Status("a"), HealthStatus::kActive);
  for (bool on_token_thread : {false, true}) {
    backend_.Refuse("a", ErrorName::kThrottling, on_token_thread);
    monitor_->CheckNow();
    EXPECT_EQ(monitor_->Status("a"), HealthStatus::kDegraded) << on_token_thread;
    backend_.StopRefusing();
    monitor_->CheckNow();
    EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
  }
  backend_.SetHealth("a", false);
  monitor_->CheckNow();
  backend_.Refuse("a", ErrorName::kThrottling, false);
  monitor_->CheckNow();
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kUnavailable);
}

TEST_F(PerTokenCheckTest, AFailedTokenIsProbedAtProbeIntervalAndTurnsActive) {
  HealthMonitorOptions options = MonitorTestOptions();
  options.probe_interval = std::chrono::milliseconds(100);
  Build(options);
  backend_.SetHealth("a", false);
  monitor_->Start();
  monitor_->WaitForRounds(1);
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kUnavailable);
  backend_.SetHealth("a", true);
  clock_.Advance(options.probe_interval);
  monitor_->WaitForRounds(2);
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 3) << "b, healthy, waits for its interval";
  // A run of live failures puts the token back on the probe cadence.
  for (int i = 0; i < 3; ++i) monitor_->NoteOutcome("a", HsmOutcome::kHsmFailure);
  ASSERT_EQ(monitor_->Status("a"), HealthStatus::kUnavailable);
  clock_.Advance(options.probe_interval);
  monitor_->WaitForRounds(3);
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 4);
}

TEST_F(PerTokenCheckTest, StopLeavesChecksInFlightToEndAndCount) {
  backend_.Hold("a");
  monitor_->Start();
  ASSERT_TRUE(backend_.gate("a").WaitEntered(1));
  monitor_->Stop();
  backend_.gate("a").Open();
  ASSERT_TRUE(backend_.WaitWorkDone("a", 1));
  EXPECT_EQ(monitor_->Status("a"), HealthStatus::kActive);
}

TEST_F(PerTokenCheckTest, DestroyingTheMonitorWithChecksInFlightIsSafe) {
  BuildWithCheckTimeout(std::chrono::milliseconds(10));
  backend_.Hold("a");
  backend_.SetHealth("a", false);  // a result that would be logged
  CheckGate busy;                  // b's thread is busy, so b's check waits in its queue
  backend_.Schedule("b", {}, [&busy](ProxyResult<void>) { busy.Enter(); });
  ASSERT_TRUE(busy.WaitEntered(1));
  monitor_->CheckNow();
  ASSERT_TRUE(backend_.gate("a").WaitEntered(1));
  monitor_.reset();
  backend_.gate("a").Open();
  busy.Open();
  ASSERT_TRUE(backend_.WaitWorkDone("a", 1));
  ASSERT_TRUE(backend_.WaitWorkDone("b", 2));
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 1)
      << "a's, already in the HSM; b's, admitted after the monitor went, skipped the HSM";
  EXPECT_TRUE(logger_.lines().empty()) << "a result that arrives late is not logged";
}

TEST_F(PerTokenCheckTest, AResultArrivingAfterTheWholeFixtureWentIsSafe) {
  BuildWithCheckTimeout(std::chrono::milliseconds(10));
  backend_.Hold("a");
  backend_.SetHealth("a", false);
  monitor_->CheckNow();
  // The fixture destroys the monitor, the logger and the clock; then the backend releases a's
  // check, whose result must touch none of them (ASan).
}

TEST(HealthStatusTest, WireSpelling) {
  EXPECT_EQ(HealthStatusString(HealthStatus::kActive), "ACTIVE");
  EXPECT_EQ(HealthStatusString(HealthStatus::kDegraded), "DEGRADED");
  EXPECT_EQ(HealthStatusString(HealthStatus::kUnavailable), "UNAVAILABLE");
}

}  // namespace
}  // namespace xks::api
