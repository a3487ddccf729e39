// Session-object key copies (TokenClient copy_keys_to_session_objects) and their end: a copy must
// not outlive what the token decided about its key once the client is told to forget (the proxy
// does at every reload, which is how a shred made by xksctl in its own process reaches it).

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "pkcs11/hsm.h"
#include "pkcs11/testing.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::SoftHsmSandbox;

class SoftHsmKeyCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = SoftHsmSandbox::Create({"cp"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = module.value();
    TokenConfig config = sandbox_->token_config("cp", 1);
    config.copy_keys_to_session_objects = true;
    auto proxy_side = TokenClient::Open(module_, config);
    ASSERT_TRUE(proxy_side.ok()) << proxy_side.error().ToLogString();
    proxy_side_ = std::move(proxy_side).value();
    // The operator's tool: another client, as xksctl is another process.
    auto admin = TokenClient::Open(module_, sandbox_->token_config("cp", 1));
    ASSERT_TRUE(admin.ok()) << admin.error().ToLogString();
    admin_ = std::move(admin).value();
    AesKeySpec spec;
    spec.label = "k";
    ASSERT_TRUE(admin_->CreateAesKey(spec, FarDeadline()).ok());
  }
  void TearDown() override {
    proxy_side_.reset();
    admin_.reset();
    module_.reset();
    sandbox_.reset();
  }
  bool EncryptWorks() { return proxy_side_->Encrypt("k", Bytes("x"), {}, FarDeadline()).ok(); }

  std::unique_ptr<SoftHsmSandbox> sandbox_;
  std::shared_ptr<Module> module_;
  std::unique_ptr<TokenClient> proxy_side_;
  std::unique_ptr<TokenClient> admin_;
};

TEST_F(SoftHsmKeyCopyTest, ACopyOutlivesItsDestroyedTokenKeyOnlyUntilTheClientForgetsKeys) {
  ASSERT_TRUE(EncryptWorks());  // first use: the key is copied into a session object
  ASSERT_TRUE(admin_->DestroyKey("k", FarDeadline()).ok());
  // What a copy means: until told, this client still holds the key material in its session.
  EXPECT_TRUE(EncryptWorks());
  proxy_side_->ForgetKeys();
  auto after = proxy_side_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(after.ok()) << "a destroyed key still encrypts after ForgetKeys";
  EXPECT_EQ(after.error().kind, HsmErrorKind::kNotFound);
}

TEST_F(SoftHsmKeyCopyTest, DropStaleKeyCopiesEndsTheCopiesOfDestroyedKeysOnly) {
  AesKeySpec spec;
  spec.label = "k2";
  ASSERT_TRUE(admin_->CreateAesKey(spec, FarDeadline()).ok());
  ASSERT_TRUE(EncryptWorks());
  ASSERT_TRUE(proxy_side_->Encrypt("k2", Bytes("x"), {}, FarDeadline()).ok());
  auto none = proxy_side_->DropStaleKeyCopies(FarDeadline());
  ASSERT_TRUE(none.ok()) << none.error().ToLogString();
  EXPECT_EQ(none.value(), 0u) << "both token keys exist";

  ASSERT_TRUE(admin_->DestroyKey("k", FarDeadline()).ok());  // a shred by another process
  auto dropped = proxy_side_->DropStaleKeyCopies(FarDeadline());
  ASSERT_TRUE(dropped.ok()) << dropped.error().ToLogString();
  EXPECT_EQ(dropped.value(), 1u);
  auto after = proxy_side_->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(after.ok()) << "the destroyed key's copy still encrypts";
  EXPECT_EQ(after.error().kind, HsmErrorKind::kNotFound);
  EXPECT_TRUE(proxy_side_->Encrypt("k2", Bytes("x"), {}, FarDeadline()).ok());
}

TEST_F(SoftHsmKeyCopyTest, ForgetKeysLeavesTheTokenKeysAndALaterUseCopiesAgain) {
  ASSERT_TRUE(EncryptWorks());
  for (int i = 0; i < 20; ++i) {
    proxy_side_->ForgetKeys();  // destroys the copy, never the token key
    ASSERT_TRUE(EncryptWorks()) << "round " << i;
  }
  auto keys = admin_->ListKeys(FarDeadline());
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u) << "the token still holds exactly its one key";
}

TEST_F(SoftHsmKeyCopyTest, AModuleThatRefusesTheCopyGetsItsTokenKeysUsed) {
  InjectCkRvForTesting(*module_, CkRvByNameForTesting("CKR_FUNCTION_NOT_SUPPORTED"), 1,
                       "C_CopyObject");
  ASSERT_TRUE(EncryptWorks()) << "a refused copy must fall back to the token key";
  ASSERT_TRUE(admin_->DestroyKey("k", FarDeadline()).ok());
  // No copy was made (and none is tried any more): the destroyed key is gone at once.
  EXPECT_FALSE(EncryptWorks());
}

}  // namespace
}  // namespace xks::pkcs11
