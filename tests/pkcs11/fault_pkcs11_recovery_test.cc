// The fault-injecting PKCS#11 module: faults the layer recovers from (sessions dropped underneath,
// the module finalised underneath), faults scoped to one token of two, per-session login, and the
// module's own promise that a C_Finalize releases hung calls instead of deadlocking.

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/pkcs11/fault_module_fixture.h"

namespace xks::pkcs11 {
namespace {

TEST_F(FaultModuleTest, DroppedSessionsAreReplacedByTheLayersRetry) {
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
  const auto open_before = faults_->SessionsOpen();
  faults_->DropSessions();
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
  EXPECT_EQ(faults_->SessionsDropped(), open_before);  // the anchor and the pooled session
  // The pooled session failed with CKR_SESSION_HANDLE_INVALID and was replaced; the cached key
  // handle then failed (SoftHSM forgets object handles when a token's last session closes) and
  // was looked up again. No re-initialization was needed.
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 1u);
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
}

TEST_F(FaultModuleTest, DroppedAnchorWithSessionKeyCopiesCostsAReinitialization) {
  auto config = sandbox_->token_config("beta");
  config.copy_keys_to_session_objects = true;
  beta_ = OpenClient(config);
  ASSERT_NE(beta_, nullptr);
  ASSERT_TRUE(RoundTrip(*beta_).ok());
  faults_->DropSessions("beta");
  ASSERT_TRUE(RoundTrip(*beta_).ok());
  // The key copies died with the anchor session, and the layer notices a dead anchor only when
  // the module generation changes: copying the key again on the dead anchor fails, and only the
  // module-wide re-initialization (which also resets alpha's sessions) brings a new anchor.
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 2u);
  EXPECT_TRUE(RoundTrip(*alpha_).ok());
}

TEST_F(FaultModuleTest, DroppingOneTokensSessionsLeavesTheOtherAlone) {
  beta_ = OpenClient("beta");
  ASSERT_NE(beta_, nullptr);
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
  ASSERT_TRUE(RoundTrip(*beta_).ok());
  faults_->DropSessions("beta");
  ASSERT_TRUE(RoundTrip(*alpha_).ok());  // carries out the drop, on beta only
  EXPECT_EQ(faults_->SessionsDropped(), 2u);
  ASSERT_TRUE(RoundTrip(*beta_).ok());
}

TEST_F(FaultModuleTest, FinalisedUnderneathEveryCallFailsUntilReinitialized) {
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
  faults_->FinaliseUnderneath();
  // ListSlots has no recovery of its own: it shows what every call meets.
  auto slots = ListSlots(*module_);
  ASSERT_FALSE(slots.ok());
  EXPECT_EQ(slots.error().ck_rv, Rv("CKR_CRYPTOKI_NOT_INITIALIZED"));
  EXPECT_EQ(faults_->TimesFinalisedUnderneath(), 1u);
  EXPECT_EQ(faults_->SessionsOpen(), 0u);
  // A client operation meets the same CK_RV, re-initializes the module and succeeds.
  ASSERT_TRUE(RoundTrip(*alpha_).ok());
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 2u);
  EXPECT_TRUE(ListSlots(*module_).ok());
}

TEST_F(FaultModuleTest, TokenScopedFailureHitsOnlyThatToken) {
  beta_ = OpenClient("beta");
  ASSERT_NE(beta_, nullptr);
  faults_->Fail(FaultFunction::kAllCryptoCalls, Rv("CKR_FUNCTION_FAILED"), Trigger::Token("beta"));
  EXPECT_TRUE(RoundTrip(*alpha_).ok());
  auto failed = RoundTrip(*beta_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().ck_rv, Rv("CKR_FUNCTION_FAILED"));
}

// A fatal CK_RV on one token re-initializes the whole module; the other token then finds its slot
// again although the removed token's C_GetTokenInfo keeps failing (ListSlots skips that slot), so
// one removed device does not take the other member of a fleet down with it.
TEST_F(FaultModuleTest, DeviceRemovedOnOneTokenLeavesTheOtherServingAfterReinitialization) {
  beta_ = OpenClient("beta");
  ASSERT_NE(beta_, nullptr);
  const auto rule = faults_->DeviceRemoved("beta");
  auto failed = RoundTrip(*beta_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().ck_rv, Rv("CKR_DEVICE_REMOVED"));
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 2u);
  auto alpha = RoundTrip(*alpha_);
  EXPECT_TRUE(alpha.ok()) << alpha.error().ToLogString();
  faults_->Remove(rule);
  EXPECT_TRUE(RoundTrip(*alpha_).ok());
  EXPECT_TRUE(RoundTrip(*beta_).ok());
}

// Device errors on every call of one token: the module is re-initialized once for them, not once
// per failing call (ReinitBackoff), so the other token keeps its sessions and serves throughout.
TEST_F(FaultModuleTest, APersistentDeviceErrorReinitializesTheModuleOnceNotPerCall) {
  beta_ = OpenClient("beta");
  ASSERT_NE(beta_, nullptr);
  ASSERT_TRUE(RoundTrip(*beta_).ok());
  const std::uint64_t before = ModuleGenerationForTesting(*module_);
  faults_->Fail(FaultFunction::kAllCryptoCalls, Rv("CKR_DEVICE_ERROR"), Trigger::Token("beta"));
  for (int i = 0; i < 20; ++i) {
    auto failed = RoundTrip(*beta_);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().ck_rv, Rv("CKR_DEVICE_ERROR"));
    EXPECT_TRUE(RoundTrip(*alpha_).ok()) << i;
  }
  // One re-initialization (the first failure), unless the loop took longer than the 1 s backoff.
  EXPECT_LE(ModuleGenerationForTesting(*module_) - before, 2u);
  EXPECT_GE(ModuleGenerationForTesting(*module_) - before, 1u);
  faults_->Clear();
  EXPECT_TRUE(RoundTrip(*beta_).ok());
}

TEST_F(FaultModuleTest, OneTokenHangsWhileTheOtherServes) {
  beta_ = OpenClient("beta");
  ASSERT_NE(beta_, nullptr);
  faults_->Hang(FaultFunction::kAllCryptoCalls, Trigger::Token("beta"));
  std::atomic<bool> beta_done{false};
  std::thread caller([&] {
    EXPECT_TRUE(RoundTrip(*beta_).ok());
    beta_done.store(true);
  });
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(RoundTrip(*alpha_).ok());
  EXPECT_FALSE(beta_done.load());
  EXPECT_EQ(faults_->HungCalls(), 1u);
  faults_->Release();
  caller.join();
  EXPECT_TRUE(beta_done.load());
}

TEST_F(FaultModuleTest, PerSessionLoginIsSatisfiedByTheLayer) {
  faults_->RequireLoginPerSession();
  const auto logins_before = faults_->Calls(FaultFunction::C_Login);
  beta_ = OpenClient("beta");
  ASSERT_NE(beta_, nullptr);
  EXPECT_TRUE(RoundTrip(*beta_).ok());
  // The anchor and the pooled session each logged in (SoftHSM itself logs in per token).
  EXPECT_GE(faults_->Calls(FaultFunction::C_Login), logins_before + 2);
}

// Another process (the shell tool, through the same control file) posts a rule that this
// process's module obeys, and reads the counters this process's module wrote.
TEST_F(FaultModuleTest, AnotherProcessSteersTheModuleThroughTheControlFile) {
  const std::string ctl = std::string(XKS_FAULT_PKCS11_CTL) + " " + faults_->control_path() + " ";
  ASSERT_EQ(std::system((ctl + "fail C_Encrypt CKR_FUNCTION_FAILED times=1 >/dev/null").c_str()),
            0);
  auto failed = alpha_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().ck_rv, Rv("CKR_FUNCTION_FAILED"));
  EXPECT_TRUE(RoundTrip(*alpha_).ok());
  EXPECT_EQ(std::system((ctl + "counters | grep -q '^C_Encrypt=2$'").c_str()), 0);
  EXPECT_EQ(std::system((ctl + "hang C_Decrypt >/dev/null").c_str()), 0);
  std::thread caller([&] { EXPECT_TRUE(RoundTrip(*alpha_).ok()); });
  EXPECT_EQ(std::system((ctl + "wait-hung 1").c_str()), 0);
  EXPECT_EQ(std::system((ctl + "release").c_str()), 0);
  caller.join();
}

// The module on its own, through its raw function list: a C_Finalize while a call hangs releases
// the hung call (CKR_CRYPTOKI_NOT_INITIALIZED) instead of waiting for a Release that never comes.
TEST_F(FaultModuleTest, FinalizeReleasesHungCalls) {
  alpha_.reset();
  module_.reset();  // the layer's instance finalizes; this test initializes the module itself
  void* library = dlopen(FaultControl::ModulePath().c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr);
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
  ASSERT_NE(get_list, nullptr);
  EXPECT_EQ(dlsym(library, "C_Encrypt"), nullptr) << "only C_GetFunctionList is exported";
  CK_FUNCTION_LIST* f = nullptr;
  ASSERT_EQ(get_list(&f), CKR_OK);
  // Every v2.40 function is there: the 68 pointers after the version.
  const auto* functions = reinterpret_cast<void* const*>(&f->C_Initialize);
  for (std::size_t i = 0; i < fault_pkcs11::kFunctionCount; ++i) {
    EXPECT_NE(functions[i], nullptr) << fault_pkcs11::FunctionName(static_cast<FaultFunction>(i));
  }
  ASSERT_EQ(f->C_Initialize(nullptr), CKR_OK);
  CK_SLOT_ID slots[8];
  CK_ULONG count = 8;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, slots, &count), CKR_OK);
  ASSERT_GE(count, 1u);
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  ASSERT_EQ(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, nullptr, nullptr, &session), CKR_OK);
  faults_->Hang(FaultFunction::C_GenerateRandom);
  std::atomic<CK_RV> hung_rv{CKR_OK};
  std::thread caller([&] {
    unsigned char random[8];
    hung_rv.store(f->C_GenerateRandom(session, random, sizeof random));
  });
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);
  caller.join();
  EXPECT_EQ(hung_rv.load(), CKR_CRYPTOKI_NOT_INITIALIZED);
  EXPECT_EQ(faults_->HungCalls(), 0u);
  dlclose(library);
}

}  // namespace
}  // namespace xks::pkcs11
