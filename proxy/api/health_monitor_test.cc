#include "proxy/api/health_monitor.h"

#include <gtest/gtest.h>

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
    return o;
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

TEST(HealthStatusTest, WireSpelling) {
  EXPECT_EQ(HealthStatusString(HealthStatus::kActive), "ACTIVE");
  EXPECT_EQ(HealthStatusString(HealthStatus::kDegraded), "DEGRADED");
  EXPECT_EQ(HealthStatusString(HealthStatus::kUnavailable), "UNAVAILABLE");
}

}  // namespace
}  // namespace xks::api
