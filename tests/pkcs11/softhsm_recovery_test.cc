// Recovery of the PKCS#11 layer (SoftHSMv2): the module finalized underneath it, injected fatal and
// session-level CK_RVs, and an operation interrupted between C_EncryptInit and C_Encrypt.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/testing.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::PatternBytes;
using ::xks::testing::SoftHsmSandbox;

unsigned long Rv(std::string_view name) { return CkRvByNameForTesting(name); }

class SoftHsmRecoveryTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = SoftHsmSandbox::Create({"rec"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = module.value();
    TokenConfig config = sandbox_->token_config("rec", 1);
    config.copy_keys_to_session_objects = GetParam();
    auto client = TokenClient::Open(module_, config);
    ASSERT_TRUE(client.ok()) << client.error().ToLogString();
    client_ = std::move(client).value();
    AesKeySpec spec;
    spec.label = "k";
    ASSERT_TRUE(client_->CreateAesKey(spec, FarDeadline()).ok());
  }
  void TearDown() override {
    client_.reset();
    module_.reset();
    sandbox_.reset();
  }

  // Encrypts and decrypts once; both must succeed.
  void ExpectRoundTrip() {
    const auto plaintext = Bytes("after recovery");
    auto sealed = client_->Encrypt("k", plaintext, {}, FarDeadline());
    ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
    auto opened =
        client_->Decrypt("k", sealed->iv, sealed->ciphertext, sealed->tag, {}, FarDeadline());
    ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
    EXPECT_EQ(opened->view(), "after recovery");
  }

  std::unique_ptr<SoftHsmSandbox> sandbox_;
  std::shared_ptr<Module> module_;
  std::unique_ptr<TokenClient> client_;
};

TEST_P(SoftHsmRecoveryTest, ModuleFinalizedUnderneath) {
  auto before = client_->Encrypt("k", Bytes("old"), {}, FarDeadline());
  ASSERT_TRUE(before.ok());
  FinalizeModuleUnderneathForTesting(*module_);
  ExpectRoundTrip();  // the first call fails inside, re-initializes and retries
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 2u);
  // Data sealed before the failure still opens (same token key).
  auto opened =
      client_->Decrypt("k", before->iv, before->ciphertext, before->tag, {}, FarDeadline());
  ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
  EXPECT_EQ(opened->view(), "old");
  // And again: the layer recovers every time, not just once.
  FinalizeModuleUnderneathForTesting(*module_);
  ExpectRoundTrip();
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 3u);
}

TEST_P(SoftHsmRecoveryTest, InjectedDeviceErrorReinitializes) {
  ExpectRoundTrip();
  InjectCkRvForTesting(*module_, Rv("CKR_DEVICE_ERROR"), 1, "C_Encrypt");
  ExpectRoundTrip();
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 2u);
  InjectCkRvForTesting(*module_, Rv("CKR_DEVICE_REMOVED"), 1, "C_DecryptInit");
  ExpectRoundTrip();
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 3u);
}

TEST_P(SoftHsmRecoveryTest, PersistentFatalErrorFailsThenRecovers) {
  InjectCkRvForTesting(*module_, Rv("CKR_DEVICE_ERROR"), 1000, "C_GenerateRandom");
  auto r = client_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, HsmErrorKind::kUnavailable);
  EXPECT_EQ(r.error().ck_rv, Rv("CKR_DEVICE_ERROR"));
  InjectCkRvForTesting(*module_, Rv("CKR_OK"), 0);  // the device is back
  ExpectRoundTrip();
}

TEST_P(SoftHsmRecoveryTest, BrokenSessionIsReplacedWithoutReinitialization) {
  InjectCkRvForTesting(*module_, Rv("CKR_SESSION_HANDLE_INVALID"), 1, "C_EncryptInit");
  ExpectRoundTrip();
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 1u);
}

TEST_P(SoftHsmRecoveryTest, HalfFinishedOperationNeverLeaksIntoNextLease) {
  // C_EncryptInit runs for real, C_Encrypt "fails" without reaching SoftHSM: the operation stays
  // active on that session. With one pooled session, reusing it would make the next
  // C_EncryptInit fail with Rv("CKR_OPERATION_ACTIVE").
  InjectCkRvForTesting(*module_, Rv("CKR_BUFFER_TOO_SMALL"), 1, "C_Encrypt");
  auto r = client_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, HsmErrorKind::kInvalidArgument);
  InjectCkRvForTesting(*module_, Rv("CKR_BUFFER_TOO_SMALL"), 1, "C_Decrypt");
  auto sealed = client_->Encrypt("k", Bytes("y"), {}, FarDeadline());
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
  auto d = client_->Decrypt("k", sealed->iv, sealed->ciphertext, sealed->tag, {}, FarDeadline());
  ASSERT_FALSE(d.ok());
  ExpectRoundTrip();
  EXPECT_EQ(ModuleGenerationForTesting(*module_), 1u);
}

TEST_P(SoftHsmRecoveryTest, ConcurrentOperationsSurviveRepeatedFinalization) {
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, succeeded{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint32_t i = 0; !stop.load(); ++i) {
        const auto plaintext = PatternBytes(1 + i % 50, i + 1000u * static_cast<std::uint32_t>(t));
        auto sealed = client_->Encrypt("k", plaintext, {}, FarDeadline());
        if (!sealed.ok()) continue;  // an operation may fail while recovery is in progress
        auto opened =
            client_->Decrypt("k", sealed->iv, sealed->ciphertext, sealed->tag, {}, FarDeadline());
        if (!opened.ok()) continue;
        if (!std::equal(opened->span().begin(), opened->span().end(), plaintext.begin(),
                        plaintext.end())) {
          wrong.fetch_add(1);
        }
        succeeded.fetch_add(1);
      }
    });
  }
  // Finalize underneath five times, each after the workers made progress (no sleeps).
  for (int round = 0; round < 5; ++round) {
    const int target = succeeded.load() + 50;
    while (succeeded.load() < target) std::this_thread::yield();
    FinalizeModuleUnderneathForTesting(*module_);
  }
  const int target = succeeded.load() + 50;
  while (succeeded.load() < target) std::this_thread::yield();
  stop.store(true);
  for (auto& w : workers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(ModuleGenerationForTesting(*module_), 6u);
  ExpectRoundTrip();
}

INSTANTIATE_TEST_SUITE_P(TokenKeysAndSessionCopies, SoftHsmRecoveryTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? std::string("SessionCopies")
                                                   : std::string("TokenKeys");
                         });

}  // namespace
}  // namespace xks::pkcs11
