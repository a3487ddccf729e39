// AES-256-GCM through the PKCS#11 layer on SoftHSMv2: round trips, tampering, key protection,
// key import.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "pkcs11/hsm.h"
#include "tests/support/openssl_crypto.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::PatternBytes;
using ::xks::testing::SoftHsmSandbox;

class SoftHsmAesGcmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    sandbox_ = SoftHsmSandbox::Create({"gcm"}, &error).release();
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = new std::shared_ptr<Module>(module.value());
    auto client = TokenClient::Open(*module_, sandbox_->token_config("gcm"));
    ASSERT_TRUE(client.ok()) << client.error().ToLogString();
    client_ = std::move(client).value().release();
    AesKeySpec spec;
    spec.label = "k1";
    spec.id = {1};
    auto key = client_->CreateAesKey(spec, FarDeadline());
    ASSERT_TRUE(key.ok()) << key.error().ToLogString();
  }
  static void TearDownTestSuite() {
    delete client_;
    delete module_;
    delete sandbox_;
  }

  static SoftHsmSandbox* sandbox_;
  static std::shared_ptr<Module>* module_;
  static TokenClient* client_;
};
SoftHsmSandbox* SoftHsmAesGcmTest::sandbox_ = nullptr;
std::shared_ptr<Module>* SoftHsmAesGcmTest::module_ = nullptr;
TokenClient* SoftHsmAesGcmTest::client_ = nullptr;

std::vector<std::uint8_t> AsVector(const SecretBytes& s) {
  return {s.span().begin(), s.span().end()};
}

TEST_F(SoftHsmAesGcmTest, RoundTripsAllSizesWithAndWithoutAad) {
  for (std::size_t size : {0u, 1u, 32u, 4300u}) {
    for (std::size_t aad_size : {0u, 1u, 33u, 65535u}) {
      SCOPED_TRACE(::testing::Message() << "plaintext " << size << " aad " << aad_size);
      const auto plaintext = PatternBytes(size, static_cast<std::uint32_t>(size));
      const auto aad = PatternBytes(aad_size, static_cast<std::uint32_t>(aad_size + 7));
      auto sealed = client_->Encrypt("k1", plaintext, aad, FarDeadline());
      ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
      EXPECT_EQ(sealed->iv.size(), 12u);
      EXPECT_EQ(sealed->ciphertext.size(), size);
      if (size >= 16) {
        EXPECT_NE(sealed->ciphertext, plaintext);
      }
      auto opened =
          client_->Decrypt("k1", sealed->iv, sealed->ciphertext, sealed->tag, aad, FarDeadline());
      ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
      EXPECT_EQ(AsVector(opened.value()), plaintext);
    }
  }
}

TEST_F(SoftHsmAesGcmTest, FreshIvEveryTime) {
  const auto plaintext = Bytes("same plaintext");
  auto a = client_->Encrypt("k1", plaintext, {}, FarDeadline());
  auto b = client_->Encrypt("k1", plaintext, {}, FarDeadline());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->iv, b->iv);
  EXPECT_NE(a->ciphertext, b->ciphertext);
}

TEST_F(SoftHsmAesGcmTest, EveryTamperFailsAsBadCiphertext) {
  const auto plaintext = PatternBytes(32, 1);
  const auto aad = Bytes("context");
  auto sealed = client_->Encrypt("k1", plaintext, aad, FarDeadline());
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();

  auto expect_bad = [&](const GcmSealed& s, const std::vector<std::uint8_t>& a, const char* what) {
    auto r = client_->Decrypt("k1", s.iv, s.ciphertext, s.tag, a, FarDeadline());
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().kind, HsmErrorKind::kBadCiphertext)
        << what << ": " << r.error().ToLogString();
  };
  for (std::size_t bit : {0u, 7u, 100u, 255u}) {
    GcmSealed s = sealed.value();
    s.ciphertext[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    expect_bad(s, aad, "ciphertext bit");
  }
  for (std::size_t bit : {0u, 64u, 127u}) {
    GcmSealed s = sealed.value();
    s.tag[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    expect_bad(s, aad, "tag bit");
  }
  {
    GcmSealed s = sealed.value();
    s.iv[11] ^= 0x80;
    expect_bad(s, aad, "iv bit");
  }
  {
    auto other_aad = aad;
    other_aad[0] ^= 1;
    expect_bad(sealed.value(), other_aad, "aad bit");
    expect_bad(sealed.value(), {}, "aad removed");
  }
  {
    GcmSealed s = sealed.value();
    s.ciphertext.pop_back();
    expect_bad(s, aad, "ciphertext truncated");
  }
  // After all the failures the session pool still works.
  auto ok = client_->Decrypt("k1", sealed->iv, sealed->ciphertext, sealed->tag, aad, FarDeadline());
  ASSERT_TRUE(ok.ok()) << ok.error().ToLogString();
}

TEST_F(SoftHsmAesGcmTest, RejectsBadSizesBeforeTheHsm) {
  const auto data = PatternBytes(16, 2);
  std::array<std::uint8_t, 16> tag{};
  for (std::size_t iv_size : {0u, 8u, 13u, 32u}) {
    auto r = client_->Decrypt("k1", PatternBytes(iv_size, 3), data, tag, {}, FarDeadline());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, HsmErrorKind::kInvalidArgument);
  }
  auto short_tag = client_->Decrypt("k1", PatternBytes(12, 3), data, std::span(tag).first(12), {},
                                    FarDeadline());
  ASSERT_FALSE(short_tag.ok());
  EXPECT_EQ(short_tag.error().kind, HsmErrorKind::kInvalidArgument);
  auto long_aad = client_->Encrypt("k1", data, PatternBytes(65536, 4), FarDeadline());
  ASSERT_FALSE(long_aad.ok());
  EXPECT_EQ(long_aad.error().kind, HsmErrorKind::kInvalidArgument);
}

TEST_F(SoftHsmAesGcmTest, SixteenByteIvRoundTrips) {
  const auto iv = PatternBytes(16, 9);
  const auto plaintext = PatternBytes(45, 10);
  auto sealed =
      client_->EncryptWithExplicitIvForTesting("k1", iv, plaintext, Bytes("a"), FarDeadline());
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
  EXPECT_EQ(sealed->iv, iv);
  auto opened = client_->Decrypt("k1", sealed->iv, sealed->ciphertext, sealed->tag, Bytes("a"),
                                 FarDeadline());
  ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
  EXPECT_EQ(AsVector(opened.value()), plaintext);
}

TEST_F(SoftHsmAesGcmTest, UnknownKeyIsNotFound) {
  auto r = client_->Encrypt("no-such-key", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, HsmErrorKind::kNotFound);
  auto d = client_->DescribeKey("no-such-key", FarDeadline());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, HsmErrorKind::kNotFound);
}

TEST_F(SoftHsmAesGcmTest, KeyByUri) {
  auto sealed = client_->Encrypt("pkcs11:object=k1", Bytes("x"), {}, FarDeadline());
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
  auto opened = client_->Decrypt("pkcs11:token=gcm;object=k1;id=%01", sealed->iv,
                                 sealed->ciphertext, sealed->tag, {}, FarDeadline());
  ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
  EXPECT_EQ(AsVector(opened.value()), Bytes("x"));
}

TEST_F(SoftHsmAesGcmTest, CreatedKeyIsSensitiveNonExtractableAndUnreadable) {
  auto info = client_->DescribeKey("k1", FarDeadline());
  ASSERT_TRUE(info.ok()) << info.error().ToLogString();
  EXPECT_EQ(info->key_class, KeyClass::kSecret);
  EXPECT_EQ(info->key_type, KeyType::kAes);
  EXPECT_EQ(info->value_len, 32u);
  EXPECT_EQ(info->label, "k1");
  EXPECT_EQ(info->id, std::vector<std::uint8_t>{1});
  EXPECT_TRUE(info->sensitive);
  EXPECT_FALSE(info->extractable);
  EXPECT_TRUE(info->usage.encrypt);
  EXPECT_TRUE(info->usage.decrypt);
  EXPECT_FALSE(info->usage.wrap);
  EXPECT_FALSE(info->usage.sign);
  auto value = client_->ReadKeyValueForTesting("k1", FarDeadline());
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().kind, HsmErrorKind::kKeyUsageNotPermitted) << value.error().ToLogString();
}

TEST_F(SoftHsmAesGcmTest, UsageSubsetIsEnforced) {
  AesKeySpec spec;
  spec.label = "encrypt-only";
  spec.decrypt = false;
  ASSERT_TRUE(client_->CreateAesKey(spec, FarDeadline()).ok());
  spec.label = "decrypt-only";
  spec.encrypt = false;
  spec.decrypt = true;
  ASSERT_TRUE(client_->CreateAesKey(spec, FarDeadline()).ok());

  auto sealed = client_->Encrypt("encrypt-only", Bytes("x"), {}, FarDeadline());
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
  auto no_decrypt = client_->Decrypt("encrypt-only", sealed->iv, sealed->ciphertext, sealed->tag,
                                     {}, FarDeadline());
  ASSERT_FALSE(no_decrypt.ok());
  EXPECT_EQ(no_decrypt.error().kind, HsmErrorKind::kKeyUsageNotPermitted);
  auto no_encrypt = client_->Encrypt("decrypt-only", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(no_encrypt.ok());
  EXPECT_EQ(no_encrypt.error().kind, HsmErrorKind::kKeyUsageNotPermitted);

  auto info = client_->DescribeKey("decrypt-only", FarDeadline());
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->usage.encrypt);
  EXPECT_TRUE(info->usage.decrypt);
}

TEST_F(SoftHsmAesGcmTest, DuplicateLabelIsRefused) {
  AesKeySpec spec;
  spec.label = "k1";
  auto r = client_->CreateAesKey(spec, FarDeadline());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, HsmErrorKind::kInvalidArgument);
}

TEST_F(SoftHsmAesGcmTest, ListAndDestroy) {
  AesKeySpec spec;
  spec.label = "temp";
  ASSERT_TRUE(client_->CreateAesKey(spec, FarDeadline()).ok());
  auto keys = client_->ListKeys(FarDeadline());
  ASSERT_TRUE(keys.ok()) << keys.error().ToLogString();
  bool seen = false;
  for (const KeyInfo& k : keys.value()) seen = seen || k.label == "temp";
  EXPECT_TRUE(seen);
  ASSERT_TRUE(client_->Encrypt("temp", Bytes("x"), {}, FarDeadline()).ok());  // now cached
  auto destroyed = client_->DestroyKey("temp", FarDeadline());
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().ToLogString();
  auto gone = client_->Encrypt("temp", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, HsmErrorKind::kNotFound);
  auto again = client_->DestroyKey("temp", FarDeadline());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, HsmErrorKind::kNotFound);
}

TEST(SoftHsmIvGenerationTest, MisconfiguredHsmGeneratedIvIsRefused) {
  // SoftHSM does not generate GCM IVs; claiming it does must not yield an all-zero-IV ciphertext.
  std::string error;
  auto sandbox = SoftHsmSandbox::Create({"ivgen"}, &error);
  ASSERT_NE(sandbox, nullptr) << error;
  ModuleConfig config = sandbox->module_config();
  config.hsm_generates_gcm_iv = true;
  auto module = OpenModule(config);
  ASSERT_TRUE(module.ok());
  auto client = TokenClient::Open(module.value(), sandbox->token_config("ivgen"));
  ASSERT_TRUE(client.ok());
  AesKeySpec spec;
  spec.label = "k";
  ASSERT_TRUE(client.value()->CreateAesKey(spec, FarDeadline()).ok());
  auto sealed = client.value()->Encrypt("k", Bytes("x"), {}, FarDeadline());
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().kind, HsmErrorKind::kInternal);
  // The hint names the configuration field an operator can actually change.
  EXPECT_THAT(sealed.error().message, ::testing::HasSubstr("generate_iv_in_hsm"));
  EXPECT_THAT(sealed.error().message, ::testing::Not(::testing::HasSubstr("hsm_generates")));
}

// Bring your own key. SoftHSMv2 2.6 cannot import safely: its C_UnwrapKey accepts RSA-OAEP only
// with SHA-1, and the keys it unwraps do not report CKA_VALUE_LEN, so they cannot be verified as
// AES-256. The layer must then refuse cleanly and leave no key behind; a SoftHSM that can do it
// must produce a key that works like the known one. (The import path itself is proven on NSS
// softokn in nss_softoken_test.cc.)
TEST_F(SoftHsmAesGcmTest, ImportEitherWorksLikeTheKnownKeyOrIsRefusedWithNothingKept) {
  auto pub = client_->GenerateRsaWrappingKeyPair("wrap-1", Bytes("w1"), 2048, FarDeadline());
  ASSERT_TRUE(pub.ok()) << pub.error().ToLogString();
  EXPECT_EQ(pub->modulus.size(), 256u);
  auto wrap_info = client_->DescribeKey("wrap-1", FarDeadline());
  ASSERT_TRUE(wrap_info.ok());
  EXPECT_TRUE(wrap_info->usage.unwrap);
  EXPECT_FALSE(wrap_info->usage.decrypt);
  EXPECT_TRUE(wrap_info->sensitive);
  EXPECT_FALSE(wrap_info->extractable);
  auto pkey = testing::RsaPublicKey(pub->modulus, pub->public_exponent);
  ASSERT_TRUE(pkey);

  const std::vector<std::uint8_t> known = PatternBytes(32, 42);
  for (OaepHash hash : {OaepHash::kSha256, OaepHash::kSha1}) {
    SCOPED_TRACE(hash == OaepHash::kSha256 ? "SHA-256" : "SHA-1");
    const std::string label = hash == OaepHash::kSha256 ? "imported-256" : "imported-1";
    AesKeySpec spec;
    spec.label = label;
    const auto wrapped = testing::WrapRsaOaep(
        pkey.get(), known, hash == OaepHash::kSha256 ? EVP_sha256() : EVP_sha1());
    auto info = client_->UnwrapAesKeyRsaOaep("wrap-1", wrapped, spec, FarDeadline(), hash);
    if (!info.ok()) {
      // SoftHSMv2 2.6: SHA-256 -> CKR_ARGUMENTS_BAD; SHA-1 -> unwrapped but CKA_VALUE_LEN unset.
      EXPECT_TRUE(info.error().kind == HsmErrorKind::kInvalidArgument ||
                  info.error().kind == HsmErrorKind::kKeyUsageNotPermitted)
          << info.error().ToLogString();
      auto described = client_->DescribeKey(label, FarDeadline());
      ASSERT_FALSE(described.ok()) << "a refused import left a key behind";
      EXPECT_EQ(described.error().kind, HsmErrorKind::kNotFound);
      continue;
    }
    EXPECT_EQ(info->value_len, 32u);
    EXPECT_TRUE(info->sensitive);
    EXPECT_FALSE(info->extractable);
    const std::vector<std::uint8_t> iv = PatternBytes(12, 1), plain = Bytes("softhsm byok");
    auto sealed = client_->EncryptWithExplicitIvForTesting(label, iv, plain, {}, FarDeadline());
    ASSERT_TRUE(sealed.ok()) << sealed.error().ToLogString();
    auto expected = testing::AesGcmSeal(known, iv, plain, {});
    ASSERT_TRUE(expected.has_value());
    EXPECT_EQ(sealed->ciphertext, expected->ciphertext);
    EXPECT_EQ(sealed->tag, expected->tag);
  }
}

}  // namespace
}  // namespace xks::pkcs11
