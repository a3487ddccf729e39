// Issue 14, vendor profiles (docs/vendor-profiles.md): each HSM quirk a profile in config/profiles
// handles, emulated by the fault-injecting PKCS#11 module (tests/fault_pkcs11) under SoftHSM and
// met by the proxy's HSM adapter configured as the profile says. Also session exhaustion as
// back-pressure: CKR_SESSION_COUNT while serving is 429 ThrottlingException, and serving resumes
// by itself once a session is free.
//
// Hangs are the only synchronisation: a call hung in the module holds its session, so the next
// request needs a new one. Every wait is bounded.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "proxy/api/backend_errors.h"
#include "proxy/runtime/hsm_key_backend.h"
#include "tests/support/fault_control.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::runtime {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::FaultControl;
using ::xks::testing::FaultFunction;
using ::xks::testing::Trigger;

constexpr unsigned long kProfileCkrFunctionFailed = 0x6;

// What a profile sets for its module and token (the rest keeps the defaults).
struct ProfileSettings {
  bool generate_iv_in_hsm = false;
  std::size_t max_sessions = 2;
  std::size_t max_stuck_calls = 0;  // 0: max_sessions
};

class VendorProfileTest : public ::testing::Test {
 protected:
  // A SoftHSM token "tok" with the keys "health" and "k1", made through SoftHSM directly; the
  // backend then opens it through the fault module.
  void SetUp() override {
    std::string error;
    sandbox_ = testing::SoftHsmSandbox::Create({"tok"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    {
      auto module = pkcs11::OpenModule(sandbox_->module_config());
      ASSERT_TRUE(module.ok()) << module.error().ToLogString();
      auto client = pkcs11::TokenClient::Open(module.value(), sandbox_->token_config("tok"));
      ASSERT_TRUE(client.ok()) << client.error().ToLogString();
      for (const char* label : {"health", "k1"}) {
        pkcs11::AesKeySpec spec;
        spec.label = label;
        ASSERT_TRUE(client.value()->CreateAesKey(spec, FarDeadline()).ok()) << label;
      }
    }
    faults_ = FaultControl::Create();
    faults_->ExportEnvironment();
  }
  void TearDown() override {
    if (faults_) faults_->Release();
    backend_.reset();  // finalizes the module before the sandbox and the control file go
  }

  void OpenBackend(const ProfileSettings& settings) {
    config::HsmConfig hsm;
    config::ModuleConfig module;
    module.id = "vendor";
    module.module = FaultControl::ModulePath();
    module.generate_iv_in_hsm = settings.generate_iv_in_hsm;
    hsm.modules.push_back(module);
    config::TokenConfig token;
    token.id = "tok";
    token.module_id = "vendor";
    token.token = "tok";
    token.pin.kind = config::SecretRef::Kind::kFile;
    token.pin.where = sandbox_->token("tok").user_pin_file;
    token.health_check_key = "health";
    token.max_sessions = settings.max_sessions;
    token.max_stuck_calls = settings.max_stuck_calls;
    hsm.tokens.push_back(token);
    backend_ = std::make_shared<HsmKeyBackend>();
    auto applied = backend_->ApplyConfig(hsm);
    ASSERT_TRUE(applied.ok()) << (applied.ok() ? "" : FormatProblems(applied.error()));
  }

  ProxyResult<api::SealedData> Seal(std::string_view plaintext,
                                    api::Deadline deadline = FarDeadline()) {
    return backend_->Encrypt(key_, Bytes(plaintext), Bytes("aad"), deadline);
  }

  // Runs one encrypt that hangs in the module (holding its session) until the test releases it.
  std::thread HoldOneSession(std::atomic<bool>& succeeded) {
    faults_->Hang(FaultFunction::C_Encrypt, Trigger::FirstCalls(1));
    return std::thread([this, &succeeded] { succeeded = Seal("held").ok(); });
  }

  const api::KeyLocation key_{"tok", "k1"};
  std::unique_ptr<testing::SoftHsmSandbox> sandbox_;
  std::unique_ptr<FaultControl> faults_;
  std::shared_ptr<HsmKeyBackend> backend_;
};

std::string PlaintextOf(const SecretBytes& bytes) {
  return std::string(bytes.span().begin(), bytes.span().end());
}

// Profile network-hsm-hsm-generated-iv.json: generate_iv_in_hsm true, and the module's IV is the
// one the ciphertext is under.
TEST_F(VendorProfileTest, HsmGeneratedIvRoundTripsUnderTheModulesIv) {
  faults_->GenerateGcmIvInHsm();
  OpenBackend({.generate_iv_in_hsm = true});
  const std::uint64_t random_before = faults_->Calls(FaultFunction::C_GenerateRandom);
  auto sealed = Seal("secret");
  ASSERT_TRUE(sealed.ok()) << sealed.error().log_detail;
  EXPECT_EQ(faults_->GcmIvsGenerated(), 1u);
  EXPECT_EQ(faults_->Calls(FaultFunction::C_GenerateRandom), random_before)
      << "the proxy drew an IV of its own";
  ASSERT_EQ(sealed->iv.size(), 12u);
  auto opened = backend_->Decrypt(key_, sealed->iv, sealed->ciphertext, sealed->tag, Bytes("aad"),
                                  FarDeadline());
  ASSERT_TRUE(opened.ok()) << opened.error().log_detail;
  EXPECT_EQ(PlaintextOf(*opened), "secret");
  std::vector<std::uint8_t> other_iv = sealed->iv;
  other_iv[0] ^= 1;
  EXPECT_FALSE(
      backend_
          ->Decrypt(key_, other_iv, sealed->ciphertext, sealed->tag, Bytes("aad"), FarDeadline())
          .ok())
      << "the returned IV must be the one the module encrypted under";
  auto again = Seal("secret");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->iv, sealed->iv);
  EXPECT_TRUE(backend_->CheckTokenHealth("tok", FarDeadline()).ok());
}

// The same module with the flag left false: the module overwrites the proxy's IV, and the proxy
// refuses the ciphertext with an error naming the field, instead of answering with it.
TEST_F(VendorProfileTest, HsmGeneratedIvWithTheFlagOffFailsSafeNamingTheFlag) {
  faults_->GenerateGcmIvInHsm();
  OpenBackend({.generate_iv_in_hsm = false});
  auto sealed = Seal("secret");
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().name, ErrorName::kInternal);
  EXPECT_NE(sealed.error().log_detail.find("generate_iv_in_hsm"), std::string::npos)
      << sealed.error().log_detail;
  EXPECT_EQ(sealed.error().message.find("generate_iv_in_hsm"), std::string::npos)
      << "configuration advice is for the log, not the client";
  EXPECT_GE(faults_->GcmIvsGenerated(), 1u);
  EXPECT_FALSE(backend_->CheckTokenHealth("tok", FarDeadline()).ok());
  faults_->GenerateGcmIvInHsm(false);  // a module that takes the caller's IV: fine again
  EXPECT_TRUE(Seal("secret").ok());
}

// The opposite mistake: the flag set for a module that uses the caller's IV (SoftHSM's way).
TEST_F(VendorProfileTest, FlagOnForAModuleThatTakesTheCallersIvFailsSafe) {
  OpenBackend({.generate_iv_in_hsm = true});
  auto sealed = Seal("secret");
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().name, ErrorName::kInternal);
  EXPECT_NE(sealed.error().log_detail.find("generate_iv_in_hsm"), std::string::npos);
}

// Session exhaustion (profile session-limited-hsm.json): the HSM refuses a new session while one
// of ours is busy. The request gets 429 at once; once the busy session is back it serves again,
// under the same cap, and with the cap lifted two calls run at once again.
TEST_F(VendorProfileTest, SessionExhaustionIsThrottlingAndServingResumesBySelf) {
  OpenBackend({.max_sessions = 3});
  ASSERT_TRUE(Seal("warm").ok());  // the anchor session and one pooled session
  std::atomic<bool> held_ok{false};
  std::thread holder = HoldOneSession(held_ok);
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  const auto cap = faults_->LimitSessions(faults_->SessionsOpen());
  auto refused = Seal("more");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().name, ErrorName::kThrottling);
  EXPECT_NE(refused.error().log_detail.find("CKR_SESSION_COUNT"), std::string::npos)
      << refused.error().log_detail;
  const Error client =
      api::ClientErrorForBackendFailure(api::BackendCall::kEncrypt, refused.error());
  EXPECT_EQ(ErrorNameString(client.name), "ThrottlingException");
  EXPECT_EQ(HttpStatus(client.name), 429);
  EXPECT_GE(faults_->Fired(cap), 1u);

  faults_->Release();
  holder.join();
  EXPECT_TRUE(held_ok.load());
  EXPECT_TRUE(Seal("again").ok()) << "the freed session serves, the cap still in place";

  faults_->Remove(cap);
  std::thread second_holder = HoldOneSession(held_ok);
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  EXPECT_TRUE(Seal("beside").ok()) << "with the cap lifted a new session opens";
  faults_->Release();
  second_holder.join();
}

// Per-session login (profile per-session-login-hsm.json): every session the layer opens logs in
// itself, so a second pooled session serves as the first does.
TEST_F(VendorProfileTest, PerSessionLoginEverySessionLogsInItself) {
  faults_->RequireLoginPerSession();
  OpenBackend({.max_sessions = 3});
  ASSERT_TRUE(Seal("first").ok());
  const std::uint64_t logins = faults_->Calls(FaultFunction::C_Login);
  EXPECT_GE(logins, 2u) << "the anchor and the pooled session each log in";
  std::atomic<bool> held_ok{false};
  std::thread holder = HoldOneSession(held_ok);
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  auto beside = Seal("beside");  // on a new session, which must log in itself
  faults_->Release();
  holder.join();
  ASSERT_TRUE(beside.ok()) << beside.error().log_detail;
  EXPECT_TRUE(held_ok.load());
  EXPECT_EQ(faults_->Calls(FaultFunction::C_Login), logins + 1);
}

// No C_SessionCancel (a v2.40 module, as the fault module is): an encrypt that failed after its
// C_EncryptInit cannot be cancelled, so its session is closed and the next one is fresh.
TEST_F(VendorProfileTest, WithoutSessionCancelAFailedOperationsSessionIsDiscarded) {
  OpenBackend({.max_sessions = 1});
  ASSERT_TRUE(Seal("warm").ok());
  const std::uint64_t closed = faults_->Calls(FaultFunction::C_CloseSession);
  const std::uint64_t opened = faults_->Calls(FaultFunction::C_OpenSession);
  faults_->Fail(FaultFunction::C_Encrypt, kProfileCkrFunctionFailed, Trigger::FirstCalls(1));
  auto failed = Seal("fails");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(faults_->Calls(FaultFunction::C_CloseSession), closed + 1);
  ASSERT_TRUE(Seal("fresh").ok());
  EXPECT_EQ(faults_->Calls(FaultFunction::C_OpenSession), opened + 1);
}

// Nor can anything cancel a call hung inside such a module: the stuck-call cap bounds the damage.
// With max_stuck_calls 1, once the hung call is past its deadline new work is refused at once
// (503) without reaching the HSM; after the hang ends the token serves again.
TEST_F(VendorProfileTest, WithoutSessionCancelTheStuckCallCapBoundsAHang) {
  OpenBackend({.max_sessions = 2, .max_stuck_calls = 1});
  ASSERT_TRUE(Seal("warm").ok());
  faults_->Hang(FaultFunction::C_Encrypt);
  const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  std::thread stuck([this, soon] { (void)Seal("stuck", soon); });
  ASSERT_TRUE(faults_->WaitForHungCalls(1));
  std::this_thread::sleep_until(soon + std::chrono::milliseconds(1));  // its deadline has passed
  const std::uint64_t encrypts = faults_->Calls(FaultFunction::C_Encrypt);
  auto refused = Seal("refused");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().name, ErrorName::kDependencyTimeout);
  EXPECT_EQ(faults_->Calls(FaultFunction::C_Encrypt), encrypts) << "it reached the HSM";
  faults_->Release();
  stuck.join();
  EXPECT_TRUE(Seal("after").ok());
}

}  // namespace
}  // namespace xks::runtime
