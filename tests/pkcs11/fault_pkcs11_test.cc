// The fault-injecting PKCS#11 module (tests/fault_pkcs11) under the project's own PKCS#11 layer:
// chosen CK_RVs (every call, every Nth, the first N), latency, hangs released by the test, a device
// removed, refused logins and a session cap. Recovery-related faults are in
// fault_pkcs11_recovery_test.cc.

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/pkcs11/fault_module_fixture.h"

namespace xks::pkcs11 {
namespace {

TEST_F(FaultModuleTest, ForwardsEverythingWhenNoRuleIsArmed) {
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
  EXPECT_GE(faults_->Calls(FaultFunction::C_Encrypt), 1u);
  EXPECT_GE(faults_->Calls(FaultFunction::C_Decrypt), 1u);
  EXPECT_GE(faults_->Calls(FaultFunction::C_Initialize), 1u);
  EXPECT_EQ(faults_->FaultsInjected(), 0u);
  EXPECT_GE(faults_->SessionsOpen(), 2u);  // the anchor and one pooled session
}

TEST_F(FaultModuleTest, ChosenRvSurfacesAsTheMappedHsmError) {
  const auto rule = faults_->Fail(FaultFunction::C_Encrypt, Rv("CKR_KEY_FUNCTION_NOT_PERMITTED"));
  auto sealed = alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().kind, HsmErrorKind::kKeyUsageNotPermitted);
  EXPECT_EQ(sealed.error().ck_rv, Rv("CKR_KEY_FUNCTION_NOT_PERMITTED"));
  EXPECT_STREQ(sealed.error().function, "C_Encrypt");
  EXPECT_EQ(faults_->Fired(rule), 1u);
  faults_->Remove(rule);
  EXPECT_TRUE(RoundTrip(*alpha_).ok());
}

TEST_F(FaultModuleTest, PersistentDeviceErrorFailsAfterTheLayersOneReinitialization) {
  const auto rule = faults_->Fail(FaultFunction::C_Encrypt, Rv("CKR_DEVICE_ERROR"));
  auto sealed = alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().kind, HsmErrorKind::kUnavailable);
  EXPECT_EQ(sealed.error().ck_rv, Rv("CKR_DEVICE_ERROR"));
  EXPECT_EQ(faults_->Fired(rule), 2u);  // the call and its one retry after re-initializing
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 2u);
  faults_->Clear();
  EXPECT_TRUE(RoundTrip(*alpha_).ok());
}

TEST_F(FaultModuleTest, EveryNthCallFails) {
  const auto rule =
      faults_->Fail(FaultFunction::C_Encrypt, Rv("CKR_FUNCTION_FAILED"), Trigger::EveryNth(3));
  std::string pattern;
  for (int i = 0; i < 6; ++i) {
    pattern += alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline()).ok() ? '+' : '-';
  }
  EXPECT_EQ(pattern, "++-++-");
  EXPECT_EQ(faults_->Fired(rule), 2u);
}

TEST_F(FaultModuleTest, FirstNCallsFailThenTheModuleWorks) {
  const auto rule =
      faults_->Fail(FaultFunction::C_Decrypt, Rv("CKR_FUNCTION_FAILED"), Trigger::FirstCalls(2));
  auto sealed = alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_TRUE(sealed.ok());
  std::string pattern;
  for (int i = 0; i < 4; ++i) {
    auto opened =
        alpha_->Decrypt("k", sealed->iv, sealed->ciphertext, sealed->tag, {}, FarDeadline());
    pattern += opened.ok() ? '+' : '-';
  }
  EXPECT_EQ(pattern, "--++");
  EXPECT_EQ(faults_->Fired(rule), 2u);
}

TEST_F(FaultModuleTest, LatencyDelaysEveryMatchingCall) {
  constexpr auto kLatency = std::chrono::milliseconds(20);
  const auto rule = faults_->AddLatency(FaultFunction::kAllCryptoCalls, kLatency);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline()).ok());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // C_GenerateRandom, C_EncryptInit and C_Encrypt each wait; only a lower bound is asserted.
  EXPECT_GE(faults_->Fired(rule), 3u);
  EXPECT_GE(elapsed, kLatency * 3);
}

TEST_F(FaultModuleTest, HangBlocksTheCallUntilReleased) {
  faults_->Hang(FaultFunction::C_Encrypt);
  std::atomic<bool> done{false};
  HsmResult<GcmSealed> result = Fail(MakeHsmError(HsmErrorKind::kInternal, "not run"));
  std::thread caller([&] {
    result = alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline());
    done.store(true);
  });
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  EXPECT_EQ(faults_->HungCalls(), 1u);
  EXPECT_FALSE(done.load());
  faults_->Release();
  caller.join();
  EXPECT_TRUE(done.load());
  ASSERT_TRUE(result.ok()) << result.error().ToLogString();
  EXPECT_EQ(faults_->HungCalls(), 0u);
  EXPECT_TRUE(RoundTrip(*alpha_).ok());  // Release removed the hang rule
}

TEST_F(FaultModuleTest, DeviceRemovedFailsEveryCallUntilTheDeviceIsBack) {
  const auto rule = faults_->DeviceRemoved();
  auto sealed = alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().kind, HsmErrorKind::kUnavailable);
  EXPECT_EQ(sealed.error().ck_rv, Rv("CKR_DEVICE_REMOVED"));
  EXPECT_FALSE(ListSlots(*module_).ok());
  faults_->Remove(rule);
  EXPECT_TRUE(RoundTrip(*alpha_).ok());  // the layer re-initializes and logs in again
}

TEST_F(FaultModuleTest, RefusedLoginFailsTheTokenOpen) {
  const auto rule = faults_->RefuseLogin(Rv("CKR_PIN_INCORRECT"), Trigger::Token("beta"));
  auto client = TokenClient::Open(module_, sandbox_->token_config("beta"));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind, HsmErrorKind::kUnavailable);
  EXPECT_EQ(client.error().ck_rv, Rv("CKR_PIN_INCORRECT"));
  EXPECT_EQ(faults_->Fired(rule), 1u);
  faults_->Remove(rule);
  EXPECT_NE(OpenClient("beta"), nullptr);
}

TEST_F(FaultModuleTest, SessionCapAnswersSessionCount) {
  // The client needs two sessions on beta (the anchor and one pooled); the cap allows one.
  const auto rule = faults_->LimitSessions(1, "beta");
  auto client = TokenClient::Open(module_, sandbox_->token_config("beta"));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().ck_rv, Rv("CKR_SESSION_COUNT"));
  EXPECT_EQ(client.error().kind, HsmErrorKind::kBusy);
  EXPECT_GE(faults_->Fired(rule), 1u);
  EXPECT_TRUE(RoundTrip(*alpha_).ok());  // alpha is not capped
  faults_->Remove(rule);
  EXPECT_NE(OpenClient("beta"), nullptr);
}

TEST_F(FaultModuleTest, SessionCapStopsASecondConcurrentOperation) {
  // The client holds its anchor and one pooled session on beta; with a cap of two, an operation
  // that needs a second pooled session (the first is busy in a hung call) cannot get one.
  auto wide = OpenClient("beta", 3);
  ASSERT_NE(wide, nullptr);
  faults_->LimitSessions(2, "beta");
  faults_->Hang(FaultFunction::C_Encrypt, Trigger::FirstCalls(1).OnToken("beta"));
  std::thread hung([&] { EXPECT_TRUE(wide->Encrypt("k", Bytes("x"), {}, FarDeadline()).ok()); });
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  auto second = wide->Encrypt("k", Bytes("y"), {}, FarDeadline());
  faults_->Release();
  hung.join();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().ck_rv, Rv("CKR_SESSION_COUNT"));
}

}  // namespace
}  // namespace xks::pkcs11
