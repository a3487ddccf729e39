#include "proxy/api/health_reporting_backend.h"

#include <gtest/gtest.h>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using testing::FakeKeyBackend;
using testing::ManualClock;

constexpr testing::Key32 kKey{1, 2, 3};

TEST(OutcomeOfBackendErrorTest, OnlyTimeoutsAndInternalErrorsBlameTheHsm) {
  EXPECT_EQ(OutcomeOfBackendError(MakeError(ErrorName::kDependencyTimeout, "")),
            HsmOutcome::kHsmFailure);
  EXPECT_EQ(OutcomeOfBackendError(MakeError(ErrorName::kInternal, "")), HsmOutcome::kHsmFailure);
  for (ErrorName name : {ErrorName::kKeyNotFound, ErrorName::kInvalidCiphertext,
                         ErrorName::kInvalidKeyUsage, ErrorName::kValidation}) {
    EXPECT_EQ(OutcomeOfBackendError(MakeError(name, "")), HsmOutcome::kClientError)
        << ErrorNameString(name);
  }
}

class HealthReportingBackendTest : public ::testing::Test {
 protected:
  HealthReportingBackendTest()
      : monitor_(fake_, HealthMonitorOptions{}, clock_.AsFunction()), backend_(fake_, monitor_) {
    fake_.AddKey("a", "k", kKey);
    fake_.AddKey("b", "k", kKey);
    monitor_.SetTokens({"a", "b"});
    monitor_.CheckNow();
  }
  ProxyResult<SealedData> Encrypt(const std::string& token) {
    const std::uint8_t plaintext[] = {1, 2, 3};
    return backend_.Encrypt({token, "k"}, plaintext, {}, clock_.Now());
  }
  FakeKeyBackend fake_;
  ManualClock clock_;
  HealthMonitor monitor_;
  HealthReportingBackend backend_;
};

TEST_F(HealthReportingBackendTest, HsmFailuresOfLiveCallsReachTheMonitor) {
  for (int i = 0; i < 3; ++i) {
    fake_.FailNext("Encrypt", MakeError(ErrorName::kInternal, "device error"));
    ASSERT_FALSE(Encrypt("a").ok());
  }
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
  EXPECT_EQ(monitor_.Status("b"), HealthStatus::kActive);
  ASSERT_TRUE(Encrypt("a").ok());
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive);
}

TEST_F(HealthReportingBackendTest, EveryCallIsObservedAndClientErrorsAreNot) {
  fake_.FailNext("Describe", MakeError(ErrorName::kDependencyTimeout, "no session"));
  EXPECT_FALSE(backend_.Describe({"a", "k"}, clock_.Now()).ok());
  fake_.FailNext("Decrypt", MakeError(ErrorName::kInternal, "device error"));
  const std::uint8_t iv[12] = {}, tag[16] = {};
  EXPECT_FALSE(backend_.Decrypt({"a", "k"}, iv, {}, tag, {}, clock_.Now()).ok());
  EXPECT_FALSE(backend_.Describe({"a", "missing"}, clock_.Now()).ok());  // KeyNotFound
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "two HSM failures so far";
  fake_.FailNext("Encrypt", MakeError(ErrorName::kDependencyTimeout, "no session"));
  EXPECT_FALSE(Encrypt("a").ok());
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kUnavailable);
}

TEST_F(HealthReportingBackendTest, ForwardsHealthChecksAndModelsUnobserved) {
  fake_.SetHealth("a", false);
  EXPECT_FALSE(backend_.CheckTokenHealth("a", clock_.Now()).ok());
  EXPECT_EQ(backend_.TokenModel("a"), fake_.TokenModel("a"));
  EXPECT_EQ(monitor_.Status("a"), HealthStatus::kActive) << "only the monitor's checks count";
}

}  // namespace
}  // namespace xks::api
