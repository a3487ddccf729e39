// The PKCS#11 layer on a second, independent module: NSS's software token (libsoftokn3.so), which
// takes its configuration through C_Initialize's pReserved string. Proves AES-256-GCM on it, and
// bring-your-own-key: an RSA-OAEP wrapping key pair made in the token, key material wrapped outside
// the HSM with OpenSSL, unwrapped by C_UnwrapKey into a sensitive, non-extractable AES-256 key
// whose GCM output matches OpenSSL's under the known key.

#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <string>
#include <vector>

#include "pkcs11/hsm.h"
#include "tests/support/nss_softoken_sandbox.h"
#include "tests/support/openssl_crypto.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::NssSoftokenSandbox;
using ::xks::testing::PatternBytes;

std::vector<std::uint8_t> RandomKey() {
  std::vector<std::uint8_t> key(32);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) key.clear();
  return key;
}

std::vector<std::uint8_t> ToVector(const std::array<std::uint8_t, 16>& tag) {
  return {tag.begin(), tag.end()};
}

class NssSoftokenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    sandbox_ = NssSoftokenSandbox::Create(&error).release();
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = new std::shared_ptr<Module>(module.value());
  }
  static void TearDownTestSuite() {
    delete module_;  // finalizes the module before its database goes away
    module_ = nullptr;
    delete sandbox_;
    sandbox_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(module_, nullptr);
    auto client = TokenClient::Open(*module_, sandbox_->token_config());
    ASSERT_TRUE(client.ok()) << client.error().ToLogString();
    client_ = std::move(client).value();
  }

  // A wrapping pair under `label`, and its public key as OpenSSL sees it.
  EvpPkeyPtr NewWrappingKey(const std::string& label, unsigned bits = 2048) {
    auto pub = client_->GenerateRsaWrappingKeyPair(label, Bytes("wrap-id"), bits, FarDeadline());
    EXPECT_TRUE(pub.ok()) << pub.error().ToLogString();
    if (!pub.ok()) return nullptr;
    return testing::RsaPublicKey(pub->modulus, pub->public_exponent);
  }

  static NssSoftokenSandbox* sandbox_;
  static std::shared_ptr<Module>* module_;
  std::unique_ptr<TokenClient> client_;
};
NssSoftokenSandbox* NssSoftokenTest::sandbox_ = nullptr;
std::shared_ptr<Module>* NssSoftokenTest::module_ = nullptr;

TEST_F(NssSoftokenTest, GeneratedKeyRoundTripsAndDetectsTampering) {
  AesKeySpec spec;
  spec.label = "generated";
  auto created = client_->CreateAesKey(spec, FarDeadline());
  ASSERT_TRUE(created.ok()) << created.error().ToLogString();
  EXPECT_EQ(created->value_len, 32u);
  EXPECT_TRUE(created->sensitive);
  EXPECT_FALSE(created->extractable);
  EXPECT_FALSE(client_->ReadKeyValueForTesting("generated", FarDeadline()).ok());

  const std::vector<std::uint8_t> aad = PatternBytes(300, 7);
  for (std::size_t size : {0u, 1u, 32u, 4300u}) {
    const std::vector<std::uint8_t> plain = PatternBytes(size, 11);
    auto sealed = client_->Encrypt("generated", plain, aad, FarDeadline());
    ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
    EXPECT_EQ(sealed->iv.size(), 12u);
    EXPECT_EQ(sealed->ciphertext.size(), size);
    auto opened = client_->Decrypt("generated", sealed->iv, sealed->ciphertext, sealed->tag, aad,
                                   FarDeadline());
    ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
    EXPECT_EQ(std::vector<std::uint8_t>(opened->data(), opened->data() + opened->size()), plain);

    auto tag = sealed->tag;
    tag[3] ^= 0x40;
    auto tampered =
        client_->Decrypt("generated", sealed->iv, sealed->ciphertext, tag, aad, FarDeadline());
    ASSERT_FALSE(tampered.ok());
    EXPECT_EQ(tampered.error().kind, HsmErrorKind::kBadCiphertext);
  }
}

TEST_F(NssSoftokenTest, ImportedKeyEncryptsAndDecryptsLikeTheKnownKey) {
  auto pub = client_->GenerateRsaWrappingKeyPair("wrap-1", Bytes("w1"), 3072, FarDeadline());
  ASSERT_TRUE(pub.ok()) << pub.error().ToLogString();
  EXPECT_EQ(pub->modulus.size(), 384u);
  EXPECT_EQ(pub->public_exponent, (std::vector<std::uint8_t>{0x01, 0x00, 0x01}));
  auto wrap_info = client_->DescribeKey("wrap-1", FarDeadline());
  ASSERT_TRUE(wrap_info.ok()) << wrap_info.error().ToLogString();
  EXPECT_EQ(wrap_info->key_class, KeyClass::kPrivate);
  EXPECT_EQ(wrap_info->key_type, KeyType::kRsa);
  EXPECT_TRUE(wrap_info->usage.unwrap);
  EXPECT_FALSE(wrap_info->usage.decrypt);
  EXPECT_FALSE(wrap_info->usage.sign);
  EXPECT_TRUE(wrap_info->sensitive);
  EXPECT_FALSE(wrap_info->extractable);

  const std::vector<std::uint8_t> known = RandomKey();
  ASSERT_EQ(known.size(), 32u);
  auto pkey = testing::RsaPublicKey(pub->modulus, pub->public_exponent);
  ASSERT_TRUE(pkey);
  const std::vector<std::uint8_t> wrapped = testing::WrapRsaOaep(pkey.get(), known, EVP_sha256());
  ASSERT_EQ(wrapped.size(), 384u);

  AesKeySpec spec;
  spec.label = "imported-v1";
  spec.id = Bytes("imported-id");
  auto info = client_->UnwrapAesKeyRsaOaep("wrap-1", wrapped, spec, FarDeadline());
  ASSERT_TRUE(info.ok()) << info.error().ToLogString();
  EXPECT_EQ(info->label, "imported-v1");
  EXPECT_EQ(info->key_class, KeyClass::kSecret);
  EXPECT_EQ(info->key_type, KeyType::kAes);
  EXPECT_EQ(info->value_len, 32u);
  EXPECT_TRUE(info->usage.encrypt);
  EXPECT_TRUE(info->usage.decrypt);
  EXPECT_FALSE(info->usage.wrap);
  EXPECT_FALSE(info->usage.unwrap);
  EXPECT_TRUE(info->sensitive);
  EXPECT_FALSE(info->extractable);
  EXPECT_EQ(info->id, spec.id);
  auto value = client_->ReadKeyValueForTesting("imported-v1", FarDeadline());
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().kind, HsmErrorKind::kKeyUsageNotPermitted);

  // Known answer: the HSM's output under the imported key equals OpenSSL's under the known key.
  const std::vector<std::uint8_t> iv = PatternBytes(12, 3), aad = Bytes("byok aad");
  const std::vector<std::uint8_t> plain = Bytes("bring your own key");
  auto sealed =
      client_->EncryptWithExplicitIvForTesting("imported-v1", iv, plain, aad, FarDeadline());
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
  auto expected = testing::AesGcmSeal(known, iv, plain, aad);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(sealed->ciphertext, expected->ciphertext);
  EXPECT_EQ(sealed->tag, expected->tag);

  // Both directions of the production path: HSM-sealed opens outside, outside-sealed opens inside.
  auto hsm_sealed = client_->Encrypt("imported-v1", plain, aad, FarDeadline());
  ASSERT_TRUE(hsm_sealed.ok()) << hsm_sealed.error().ToLogString();
  auto opened_outside = testing::AesGcmOpen(known, hsm_sealed->iv, hsm_sealed->ciphertext,
                                            ToVector(hsm_sealed->tag), aad);
  ASSERT_TRUE(opened_outside.has_value());
  EXPECT_EQ(*opened_outside, plain);
  auto outside = testing::AesGcmSeal(known, PatternBytes(12, 5), plain, aad);
  ASSERT_TRUE(outside.has_value());
  auto opened_inside = client_->Decrypt("imported-v1", PatternBytes(12, 5), outside->ciphertext,
                                        outside->tag, aad, FarDeadline());
  ASSERT_TRUE(opened_inside.ok()) << opened_inside.error().ToLogString();
  EXPECT_EQ(std::vector<std::uint8_t>(opened_inside->data(),
                                      opened_inside->data() + opened_inside->size()),
            plain);

  // The label is taken now: a second unwrap under it is refused.
  auto again = client_->UnwrapAesKeyRsaOaep("wrap-1", wrapped, spec, FarDeadline());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, HsmErrorKind::kInvalidArgument);
}

TEST_F(NssSoftokenTest, Sha1OaepImportsWhenAskedFor) {
  auto pkey = NewWrappingKey("wrap-sha1");
  ASSERT_TRUE(pkey);
  const std::vector<std::uint8_t> known = RandomKey();
  AesKeySpec spec;
  spec.label = "imported-sha1";
  spec.encrypt = false;  // a decrypt-only import
  auto info =
      client_->UnwrapAesKeyRsaOaep("wrap-sha1", testing::WrapRsaOaep(pkey.get(), known, EVP_sha1()),
                                   spec, FarDeadline(), OaepHash::kSha1);
  ASSERT_TRUE(info.ok()) << info.error().ToLogString();
  EXPECT_FALSE(info->usage.encrypt);
  EXPECT_TRUE(info->usage.decrypt);
  const std::vector<std::uint8_t> iv = PatternBytes(12, 9), plain = Bytes("sha-1 wrapped");
  auto outside = testing::AesGcmSeal(known, iv, plain, {});
  ASSERT_TRUE(outside.has_value());
  auto opened =
      client_->Decrypt("imported-sha1", iv, outside->ciphertext, outside->tag, {}, FarDeadline());
  ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
  auto refused = client_->Encrypt("imported-sha1", plain, {}, FarDeadline());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, HsmErrorKind::kKeyUsageNotPermitted);
}

TEST_F(NssSoftokenTest, WrongSizedOrMismatchedMaterialIsRefusedAndNothingIsKept) {
  auto pkey = NewWrappingKey("wrap-bad");
  ASSERT_TRUE(pkey);
  AesKeySpec spec;
  spec.label = "imported-bad";
  auto expect_refused_and_absent = [&](const std::vector<std::uint8_t>& wrapped, OaepHash hash) {
    auto info = client_->UnwrapAesKeyRsaOaep("wrap-bad", wrapped, spec, FarDeadline(), hash);
    ASSERT_FALSE(info.ok());
    EXPECT_NE(info.error().kind, HsmErrorKind::kInternal) << info.error().ToLogString();
    auto described = client_->DescribeKey("imported-bad", FarDeadline());
    ASSERT_FALSE(described.ok());
    EXPECT_EQ(described.error().kind, HsmErrorKind::kNotFound);
  };
  // AES-128 material: unwrapped, found to be 16 bytes, destroyed again.
  {
    const std::vector<std::uint8_t> short_key(16, 0x42);
    auto info = client_->UnwrapAesKeyRsaOaep(
        "wrap-bad", testing::WrapRsaOaep(pkey.get(), short_key, EVP_sha256()), spec, FarDeadline());
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().kind, HsmErrorKind::kInvalidArgument);
    EXPECT_NE(info.error().message.find("32 bytes"), std::string::npos) << info.error().message;
    EXPECT_FALSE(client_->DescribeKey("imported-bad", FarDeadline()).ok());
  }
  // Wrapped with SHA-1 but unwrapped as SHA-256: OAEP decoding fails inside the HSM.
  expect_refused_and_absent(testing::WrapRsaOaep(pkey.get(), RandomKey(), EVP_sha1()),
                            OaepHash::kSha256);
  // Not an OAEP ciphertext at all.
  expect_refused_and_absent(std::vector<std::uint8_t>(256, 0x5a), OaepHash::kSha256);
  // Truncated.
  auto wrapped = testing::WrapRsaOaep(pkey.get(), RandomKey(), EVP_sha256());
  wrapped.resize(100);
  expect_refused_and_absent(wrapped, OaepHash::kSha256);
}

TEST_F(NssSoftokenTest, BadArgumentsAreRefused) {
  auto small = client_->GenerateRsaWrappingKeyPair("wrap-small", {}, 1024, FarDeadline());
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().kind, HsmErrorKind::kInvalidArgument);
  AesKeySpec spec;
  spec.label = "x";
  const std::vector<std::uint8_t> junk(256, 0x01);
  auto missing = client_->UnwrapAesKeyRsaOaep("no-such-wrap", junk, spec, FarDeadline());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, HsmErrorKind::kNotFound);
  auto empty = client_->UnwrapAesKeyRsaOaep("no-such-wrap", {}, spec, FarDeadline());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, HsmErrorKind::kInvalidArgument);
  // An AES key cannot serve as the RSA wrapping key.
  AesKeySpec aes;
  aes.label = "not-a-wrapping-key";
  ASSERT_TRUE(client_->CreateAesKey(aes, FarDeadline()).ok());
  auto wrong_kind = client_->UnwrapAesKeyRsaOaep("not-a-wrapping-key", junk, spec, FarDeadline());
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_EQ(wrong_kind.error().kind, HsmErrorKind::kNotFound);
}

}  // namespace
}  // namespace xks::pkcs11
