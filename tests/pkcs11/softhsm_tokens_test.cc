// Tokens on SoftHSMv2 through the PKCS#11 layer: selection by label and URI, isolation between two
// tokens with the same key label, PIN sources, module loading by p11-kit name, EC P-256 signing,
// and that PINs never reach the log.

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/log.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::SoftHsmSandbox;

class SoftHsmTokensTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    sandbox_ = SoftHsmSandbox::Create({"alpha", "beta"}, &error).release();
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = new std::shared_ptr<Module>(module.value());
  }
  static void TearDownTestSuite() {
    delete module_;
    delete sandbox_;
  }
  void TearDown() override { SetLogSink(nullptr); }

  static std::unique_ptr<TokenClient> OpenClient(const TokenConfig& config) {
    auto client = TokenClient::Open(*module_, config);
    EXPECT_TRUE(client.ok()) << client.error().ToLogString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  static SoftHsmSandbox* sandbox_;
  static std::shared_ptr<Module>* module_;
};
SoftHsmSandbox* SoftHsmTokensTest::sandbox_ = nullptr;
std::shared_ptr<Module>* SoftHsmTokensTest::module_ = nullptr;

TEST_F(SoftHsmTokensTest, ListsBothTokensAndAFreeSlot) {
  auto slots = ListSlots(**module_);
  ASSERT_TRUE(slots.ok()) << slots.error().ToLogString();
  int alpha = 0, beta = 0, free_slots = 0;
  for (const SlotDescription& s : slots.value()) {
    alpha += s.token_label == "alpha" ? 1 : 0;
    beta += s.token_label == "beta" ? 1 : 0;
    free_slots += s.token_initialized ? 0 : 1;
    if (s.token_label == "alpha") {
      EXPECT_EQ(s.token_serial, sandbox_->token("alpha").serial);
    }
  }
  EXPECT_EQ(alpha, 1);
  EXPECT_EQ(beta, 1);
  EXPECT_GE(free_slots, 1);
}

TEST_F(SoftHsmTokensTest, SameKeyLabelInTwoTokensStaysSeparate) {
  auto alpha = OpenClient(sandbox_->token_config("alpha"));
  auto beta = OpenClient(sandbox_->token_config("beta"));
  ASSERT_TRUE(alpha && beta);
  AesKeySpec spec;
  spec.label = "shared-label";
  ASSERT_TRUE(alpha->CreateAesKey(spec, FarDeadline()).ok());
  ASSERT_TRUE(beta->CreateAesKey(spec, FarDeadline()).ok());

  const auto plaintext = Bytes("tenant data");
  auto from_alpha = alpha->Encrypt("shared-label", plaintext, {}, FarDeadline());
  auto from_beta = beta->Encrypt("shared-label", plaintext, {}, FarDeadline());
  ASSERT_TRUE(from_alpha.ok() && from_beta.ok());
  // Each token decrypts its own ciphertext...
  auto own = alpha->Decrypt("shared-label", from_alpha->iv, from_alpha->ciphertext, from_alpha->tag,
                            {}, FarDeadline());
  ASSERT_TRUE(own.ok()) << own.error().ToLogString();
  // ...and neither decrypts the other's.
  auto cross = beta->Decrypt("shared-label", from_alpha->iv, from_alpha->ciphertext,
                             from_alpha->tag, {}, FarDeadline());
  ASSERT_FALSE(cross.ok());
  EXPECT_EQ(cross.error().kind, HsmErrorKind::kBadCiphertext);
  auto cross2 = alpha->Decrypt("shared-label", from_beta->iv, from_beta->ciphertext, from_beta->tag,
                               {}, FarDeadline());
  ASSERT_FALSE(cross2.ok());
  EXPECT_EQ(cross2.error().kind, HsmErrorKind::kBadCiphertext);
  EXPECT_EQ(alpha->token_label(), "alpha");
  EXPECT_EQ(beta->token_label(), "beta");
}

TEST_F(SoftHsmTokensTest, SelectsTokenByUri) {
  TokenConfig config = sandbox_->token_config("beta");
  config.token = "pkcs11:token=beta;serial=" + sandbox_->token("beta").serial;
  auto client = OpenClient(config);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->token_serial(), sandbox_->token("beta").serial);

  config.token = "pkcs11:token=beta;serial=0000";
  auto wrong_serial = TokenClient::Open(*module_, config);
  ASSERT_FALSE(wrong_serial.ok());
  EXPECT_EQ(wrong_serial.error().kind, HsmErrorKind::kNotFound);

  config.token = "pkcs11:model=SoftHSM%20v2";  // matches both tokens
  auto ambiguous = TokenClient::Open(*module_, config);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().kind, HsmErrorKind::kInvalidArgument);

  config.token = "no-such-token";
  auto missing = TokenClient::Open(*module_, config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, HsmErrorKind::kNotFound);
}

TEST_F(SoftHsmTokensTest, PinFromEnvironment) {
  TokenConfig config = sandbox_->token_config("alpha");
  setenv("XKS_TEST_ALPHA_PIN", sandbox_->token("alpha").user_pin.c_str(), 1);
  config.pin = PinSource::Env("XKS_TEST_ALPHA_PIN");
  EXPECT_TRUE(OpenClient(config));
  unsetenv("XKS_TEST_ALPHA_PIN");
  auto unset = TokenClient::Open(*module_, config);
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().kind, HsmErrorKind::kInvalidArgument);
}

TEST_F(SoftHsmTokensTest, WrongPinFailsAndNeverReachesLogOrError) {
  std::mutex mu;
  std::string log;
  SetLogSink([&](std::string_view line) {
    std::lock_guard lock(mu);
    log.append(line).append("\n");
  });
  const std::string wrong_pin = "wrong-pin-7d1e55";
  TokenConfig config = sandbox_->token_config("alpha");
  config.pin = PinSource::File(sandbox_->WriteFile("wrong.pin", wrong_pin, 0600));
  auto client = TokenClient::Open(*module_, config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind, HsmErrorKind::kUnavailable);
  EXPECT_EQ(client.error().ToLogString().find(wrong_pin), std::string::npos);

  // A successful login and some failures: the real PIN is not logged either.
  auto good = OpenClient(sandbox_->token_config("alpha"));
  ASSERT_TRUE(good);
  (void)good->Encrypt("missing", Bytes("x"), {}, FarDeadline());
  std::lock_guard lock(mu);
  EXPECT_NE(log.find("C_Login -> CKR_PIN_INCORRECT"), std::string::npos) << log;
  EXPECT_EQ(log.find(wrong_pin), std::string::npos);
  EXPECT_EQ(log.find(sandbox_->token("alpha").user_pin), std::string::npos);
}

TEST_F(SoftHsmTokensTest, GroupReadablePinFileIsRefused) {
  TokenConfig config = sandbox_->token_config("alpha");
  config.pin =
      PinSource::File(sandbox_->WriteFile("loose.pin", sandbox_->token("alpha").user_pin, 0640));
  auto client = TokenClient::Open(*module_, config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind, HsmErrorKind::kInvalidArgument);
}

TEST_F(SoftHsmTokensTest, EcP256SignatureVerifiesWithOpenSsl) {
  auto client = OpenClient(sandbox_->token_config("beta"));
  ASSERT_TRUE(client);
  const std::vector<std::uint8_t> id = {0xec, 0x01};
  auto pub = client->GenerateEcP256KeyPair("audit-signer", id, FarDeadline());
  ASSERT_TRUE(pub.ok()) << pub.error().ToLogString();
  EXPECT_EQ(pub->ec_params, (std::vector<std::uint8_t>{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                                       0x03, 0x01, 0x07}));
  // CKA_EC_POINT is a DER OCTET STRING around the 65-byte uncompressed point.
  ASSERT_EQ(pub->ec_point.size(), 67u);
  EXPECT_EQ(pub->ec_point[0], 0x04);
  EXPECT_EQ(pub->ec_point[1], 65);
  EXPECT_EQ(pub->ec_point[2], 0x04);

  auto again = client->GetEcPublicKey("audit-signer", FarDeadline());
  ASSERT_TRUE(again.ok()) << again.error().ToLogString();
  EXPECT_EQ(again->ec_point, pub->ec_point);

  auto info = client->DescribeKey("audit-signer", FarDeadline());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->key_class, KeyClass::kPrivate);
  EXPECT_EQ(info->key_type, KeyType::kEc);
  EXPECT_TRUE(info->usage.sign);
  EXPECT_TRUE(info->sensitive);
  EXPECT_FALSE(info->extractable);

  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  const std::string message = "audit checkpoint 42";
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest);
  auto sig = client->SignEcdsa("audit-signer", digest, FarDeadline());
  ASSERT_TRUE(sig.ok()) << sig.error().ToLogString();
  ASSERT_EQ(sig->size(), 64u);

  // Verify with OpenSSL: SubjectPublicKeyInfo = fixed P-256 prefix + the 65-byte point.
  std::vector<std::uint8_t> spki =
      xks::testing::FromHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  spki.insert(spki.end(), pub->ec_point.begin() + 2, pub->ec_point.end());
  const unsigned char* p = spki.data();
  EVP_PKEY* pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  ASSERT_NE(pkey, nullptr);
  ECDSA_SIG* ecdsa = ECDSA_SIG_new();
  ECDSA_SIG_set0(ecdsa, BN_bin2bn(sig->data(), 32, nullptr),
                 BN_bin2bn(sig->data() + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(ecdsa, &der);
  ASSERT_GT(der_len, 0);
  auto verify = [&](const std::uint8_t* d) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pkey, nullptr);
    int rc =
        EVP_PKEY_verify_init(ctx) == 1
            ? EVP_PKEY_verify(ctx, der, static_cast<std::size_t>(der_len), d, SHA256_DIGEST_LENGTH)
            : -1;
    EVP_PKEY_CTX_free(ctx);
    return rc;
  };
  EXPECT_EQ(verify(digest), 1);
  digest[0] ^= 1;
  EXPECT_EQ(verify(digest), 0);
  OPENSSL_free(der);
  ECDSA_SIG_free(ecdsa);
  EVP_PKEY_free(pkey);

  // The private key cannot do AES-GCM.
  auto wrong_use = client->Encrypt("audit-signer", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(wrong_use.ok());
  EXPECT_EQ(wrong_use.error().kind, HsmErrorKind::kNotFound);  // no secret key by that label
}

TEST(SoftHsmModuleLoadingTest, LoadsByP11KitModuleName) {
  std::string error;
  auto sandbox = SoftHsmSandbox::Create({"named"}, &error);
  ASSERT_NE(sandbox, nullptr) << error;
  ModuleConfig config;
  config.module = "softhsm2";  // resolved through p11-kit's registry
  auto module = OpenModule(config);
  ASSERT_TRUE(module.ok()) << module.error().ToLogString();
  auto client = TokenClient::Open(module.value(), sandbox->token_config("named"));
  ASSERT_TRUE(client.ok()) << client.error().ToLogString();
  AesKeySpec spec;
  spec.label = "k";
  ASSERT_TRUE(client.value()->CreateAesKey(spec, FarDeadline()).ok());
  EXPECT_TRUE(client.value()->Encrypt("k", Bytes("x"), {}, FarDeadline()).ok());
}

TEST(SoftHsmModuleLoadingTest, UnknownModuleIsNotFound) {
  ModuleConfig by_name;
  by_name.module = "no-such-p11-module";
  auto a = OpenModule(by_name);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, HsmErrorKind::kNotFound);
  ModuleConfig by_path;
  by_path.module = "/nonexistent/libpkcs11.so";
  auto b = OpenModule(by_path);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, HsmErrorKind::kNotFound);
  ModuleConfig not_a_module;
  not_a_module.module = "/etc/hostname";
  auto c = OpenModule(not_a_module);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, HsmErrorKind::kUnavailable);
}

}  // namespace
}  // namespace xks::pkcs11
