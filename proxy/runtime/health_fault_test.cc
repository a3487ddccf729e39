// Issue 14, "health that tells the truth", end to end below the HTTP layer: the proxy's HSM adapter
// on SoftHSM behind the fault-injecting module (tests/fault_pkcs11), the HealthMonitor checking it,
// and live requests going through HealthReportingBackend as in proxy_app.cc.
//
// Time: the monitor's clock is the real steady clock plus an offset the test advances, so "the
// check has overrun its timeout" is a step the test takes, not a sleep. Every wait is bounded.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "proxy/api/health_monitor.h"
#include "proxy/api/health_reporting_backend.h"
#include "proxy/runtime/hsm_key_backend.h"
#include "tests/support/fault_control.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::runtime {
namespace {

using api::HealthStatus;
using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::FaultControl;
using ::xks::testing::FaultFunction;
using ::xks::testing::Trigger;

constexpr unsigned long kCkrDeviceError = 0x30;
constexpr auto kCheckTimeout = std::chrono::seconds(2);

// Real steady time plus a test-controlled offset.
class OffsetClock {
 public:
  api::SteadyClock AsFunction() {
    return [this] { return std::chrono::steady_clock::now() + offset(); };
  }
  void Advance(std::chrono::milliseconds d) { offset_ms_ += d.count(); }

 private:
  std::chrono::milliseconds offset() const { return std::chrono::milliseconds(offset_ms_.load()); }
  std::atomic<std::int64_t> offset_ms_{0};
};

config::TokenConfig TokenOn(const testing::SoftHsmSandbox& sandbox, const std::string& label) {
  config::TokenConfig token;
  token.id = label;
  token.module_id = "faulty";
  token.token = label;
  token.pin.kind = config::SecretRef::Kind::kFile;
  token.pin.where = sandbox.token(label).user_pin_file;
  token.health_check_key = "health";
  token.max_stuck_calls = 1;  // of max_sessions 2: one stuck call already refuses new work
  return token;
}

class HealthFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = testing::SoftHsmSandbox::Create({"alpha", "beta"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    CreateKeysDirectly();
    if (HasFatalFailure()) return;
    faults_ = FaultControl::Create();
    faults_->ExportEnvironment();
    config::HsmConfig hsm;
    hsm.modules.push_back(config::ModuleConfig{});
    hsm.modules.back().id = "faulty";
    hsm.modules.back().module = FaultControl::ModulePath();
    hsm.tokens = {TokenOn(*sandbox_, "alpha"), TokenOn(*sandbox_, "beta")};
    backend_ = std::make_unique<HsmKeyBackend>();
    auto applied = backend_->ApplyConfig(hsm);
    ASSERT_TRUE(applied.ok()) << (applied.ok() ? "" : FormatProblems(applied.error()));
    api::HealthMonitorOptions options;
    options.check_timeout = kCheckTimeout;
    options.degraded_latency = std::chrono::seconds(30);  // a loaded test machine is not the point
    monitor_ = std::make_unique<api::HealthMonitor>(*backend_, options, clock_.AsFunction());
    monitor_->SetTokens({"alpha", "beta"});
    requests_ = std::make_unique<api::HealthReportingBackend>(*backend_, *monitor_);
    monitor_->CheckNow();
    ASSERT_EQ(monitor_->Status("alpha"), HealthStatus::kActive);
    ASSERT_EQ(monitor_->Status("beta"), HealthStatus::kActive);
  }
  void TearDown() override {
    if (faults_) faults_->Clear();  // lets a hung round finish
    if (round_.joinable()) round_.join();
    // A check still running holds its token (and so the module) open: left to end after the
    // backend is gone, it would finalize the shared SoftHSM while the next test uses it. CheckNow
    // waits for checks in flight (check_timeout at most).
    if (monitor_) monitor_->CheckNow();
    requests_.reset();
    monitor_.reset();
    backend_.reset();  // finalizes the module before the control file and the sandbox go
    faults_.reset();
    sandbox_.reset();
  }
  void CreateKeysDirectly() {
    auto module = pkcs11::OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    for (const char* token : {"alpha", "beta"}) {
      auto client = pkcs11::TokenClient::Open(module.value(), sandbox_->token_config(token));
      ASSERT_TRUE(client.ok()) << client.error().ToLogString();
      for (const char* label : {"health", "k1"}) {
        pkcs11::AesKeySpec spec;
        spec.label = label;
        ASSERT_TRUE(client.value()->CreateAesKey(spec, FarDeadline()).ok());
      }
    }
  }
  bool LiveEncrypt(const std::string& token) {
    return requests_->Encrypt({token, "k1"}, Bytes("p"), Bytes("aad"), FarDeadline()).ok();
  }
  // A deep-check round on its own thread, to be stuck in the HSM.
  void StartRound() {
    round_ = std::thread([this] { monitor_->CheckNow(); });
  }

  std::unique_ptr<testing::SoftHsmSandbox> sandbox_;
  std::unique_ptr<FaultControl> faults_;
  std::unique_ptr<HsmKeyBackend> backend_;
  OffsetClock clock_;
  std::unique_ptr<api::HealthMonitor> monitor_;
  std::unique_ptr<api::HealthReportingBackend> requests_;
  std::thread round_;
};

TEST_F(HealthFaultTest, AHungHsmReadsUnavailableWhileTheCheckIsStuckAndActiveAfterRelease) {
  faults_->Hang(FaultFunction::kAllCryptoCalls);
  StartRound();
  ASSERT_TRUE(faults_->WaitForHungCalls(1, std::chrono::seconds(30)));
  clock_.Advance(kCheckTimeout + std::chrono::milliseconds(1));
  // Answered from the cache while the check thread is inside C_Encrypt (or its IV generation).
  EXPECT_EQ(monitor_->Status("alpha"), HealthStatus::kUnavailable);
  faults_->Release();
  round_.join();
  monitor_->CheckNow();
  EXPECT_EQ(monitor_->Status("alpha"), HealthStatus::kActive);
  EXPECT_EQ(monitor_->Status("beta"), HealthStatus::kActive);
}

TEST_F(HealthFaultTest, LiveDeviceErrorsTurnTheTokenUnavailableAndASuccessTurnsItBack) {
  faults_->Fail(FaultFunction::C_Encrypt, kCkrDeviceError);
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(LiveEncrypt("alpha"));
  EXPECT_EQ(monitor_->Status("alpha"), HealthStatus::kUnavailable)
      << "without waiting for the next deep check";
  faults_->Clear();
  ASSERT_TRUE(LiveEncrypt("alpha"));
  EXPECT_EQ(monitor_->Status("alpha"), HealthStatus::kActive);
}

TEST_F(HealthFaultTest, OneHungTokenLeavesTheOtherActive) {
  faults_->Hang(FaultFunction::kAllCryptoCalls, Trigger::Token("alpha"));
  // Every earlier result is now too old: only a check in this round can make beta ACTIVE.
  clock_.Advance(std::chrono::seconds(61));
  StartRound();  // each token's check on its own executor
  ASSERT_TRUE(faults_->WaitForHungCalls(1, std::chrono::seconds(30)));
  EXPECT_TRUE(LiveEncrypt("beta"));
  round_.join();  // CheckNow gives up on alpha after check_timeout; its check stays stuck
  EXPECT_EQ(faults_->HungCalls(), 1u);
  EXPECT_EQ(monitor_->Status("alpha"), HealthStatus::kUnavailable);
  EXPECT_EQ(monitor_->Status("beta"), HealthStatus::kActive)
      << "checked on its own threads while alpha's check hangs";
  faults_->Release();
}

TEST_F(HealthFaultTest, AStuckCallPastItsDeadlineMakesTheTokenRefuseNewWorkAtOnce) {
  faults_->Hang(FaultFunction::kAllCryptoCalls, Trigger::Token("alpha"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  round_ = std::thread([this, deadline] {
    EXPECT_TRUE(requests_->Encrypt({"alpha", "k1"}, Bytes("p"), Bytes("aad"), deadline).ok())
        << "runs once released";
  });
  ASSERT_TRUE(faults_->WaitForHungCalls(1, std::chrono::seconds(30)));
  std::this_thread::sleep_until(deadline + std::chrono::milliseconds(1));  // now it is stuck
  auto refused = requests_->Encrypt({"alpha", "k1"}, Bytes("p"), Bytes("aad"), FarDeadline());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().name, ErrorName::kDependencyTimeout);
  EXPECT_NE(refused.error().log_detail.find("stuck"), std::string::npos)
      << refused.error().log_detail;
  EXPECT_EQ(faults_->HungCalls(), 1u) << "refused without reaching the HSM";
  EXPECT_TRUE(LiveEncrypt("beta")) << "other tokens are unaffected";
  faults_->Release();
  round_.join();
  EXPECT_TRUE(LiveEncrypt("alpha"));
}

}  // namespace
}  // namespace xks::runtime
