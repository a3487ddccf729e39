#include "proxy/runtime/hsm_checkpoint_signer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "tests/support/softhsm_sandbox.h"

namespace xks::runtime {
namespace {

pkcs11::Deadline Soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(10); }

TEST(UncompressedP256PointTest, AcceptsDerWrappedAndBarePointsOnly) {
  std::vector<std::uint8_t> bare(65, 0x11);
  bare[0] = 0x04;
  std::vector<std::uint8_t> wrapped(2 + bare.size());
  wrapped[0] = 0x04;  // DER OCTET STRING
  wrapped[1] = 0x41;  // of 65 bytes
  std::copy(bare.begin(), bare.end(), wrapped.begin() + 2);
  EXPECT_EQ(UncompressedP256Point(wrapped), bare);
  EXPECT_EQ(UncompressedP256Point(bare), bare);
  std::vector<std::uint8_t> compressed(33, 0x02);
  EXPECT_FALSE(UncompressedP256Point(compressed).has_value());
  wrapped[2] = 0x02;  // a DER wrapper around something that is not an uncompressed point
  EXPECT_FALSE(UncompressedP256Point(wrapped).has_value());
}

class HsmCheckpointSignerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    sandbox_ = xks::testing::SoftHsmSandbox::Create({"audit"}, &error).release();
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = pkcs11::OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    auto token = pkcs11::TokenClient::Open(*module, sandbox_->token_config("audit"));
    ASSERT_TRUE(token.ok()) << token.error().ToLogString();
    token_ = new std::shared_ptr<pkcs11::TokenClient>(std::move(token).value());
  }
  static void TearDownTestSuite() {
    // The token (and with it the module) must go before the sandbox that holds its files.
    delete token_;
    token_ = nullptr;
    delete sandbox_;
    sandbox_ = nullptr;
  }
  static std::shared_ptr<pkcs11::TokenClient> Token() { return *token_; }
  static xks::testing::SoftHsmSandbox* sandbox_;
  static std::shared_ptr<pkcs11::TokenClient>* token_;
};
xks::testing::SoftHsmSandbox* HsmCheckpointSignerTest::sandbox_ = nullptr;
std::shared_ptr<pkcs11::TokenClient>* HsmCheckpointSignerTest::token_ = nullptr;

TEST_F(HsmCheckpointSignerTest, SignaturesFromTheTokenVerifyWithTheExportedPublicKey) {
  const std::uint8_t id[] = {1, 2, 3};
  ASSERT_TRUE((*token_)->GenerateEcP256KeyPair("audit-signer", id, Soon()).ok());
  auto signer = HsmCheckpointSigner::Open(Token(), "audit-signer");
  ASSERT_TRUE(signer.ok()) << signer.error();
  EXPECT_EQ((*signer)->algorithm(), audit::kAlgEcdsaP256);
  EXPECT_EQ((*signer)->key_id().size(), 32u);

  auto key = audit::ParseVerificationKey((*signer)->PublicKeyPem());
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->key_id, (*signer)->key_id());
  const std::string payload = "xks-audit-checkpoint-v1\ntest\n";
  const std::span<const std::uint8_t> message(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                              payload.size());
  auto signature = (*signer)->Sign(message);
  ASSERT_TRUE(signature.ok()) << signature.error();
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(audit::VerifyCheckpointSignature(*key, message, *signature));

  std::vector<std::uint8_t> tampered = *signature;
  tampered[5] ^= 0x01;
  EXPECT_FALSE(audit::VerifyCheckpointSignature(*key, message, tampered));
  // The private key stays in the token: sensitive and not extractable.
  auto info = (*token_)->DescribeKey("audit-signer", Soon());
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->sensitive);
  EXPECT_FALSE(info->extractable);
}

TEST_F(HsmCheckpointSignerTest, AMissingKeyIsAClearError) {
  auto signer = HsmCheckpointSigner::Open(Token(), "no-such-key");
  ASSERT_FALSE(signer.ok());
  EXPECT_NE(signer.error().ToString().find("no-such-key"), std::string::npos);
}

}  // namespace
}  // namespace xks::runtime
