#include "proxy/audit/checkpoint_signer.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class AuditSignerTypeTest : public ::testing::TestWithParam<SignerKeyType> {};

TEST_P(AuditSignerTypeTest, KeygenLoadSignVerify) {
  testing::TempDir dir;
  const std::string path = dir.Sub("key.pem");
  ASSERT_TRUE(GenerateSignerKeyFile(path, GetParam()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto signer = FileCheckpointSigner::Load(path);
  ASSERT_TRUE(signer.ok()) << signer.error();
  auto& s = *signer.value();
  EXPECT_EQ(s.key_id().size(), 32u);
  auto sig = s.Sign(Bytes("payload"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig.value().size(), 64u);  // raw r||s, or Ed25519
  auto key = ParseVerificationKey(s.PublicKeyPem());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key.value().key_id, s.key_id());
  EXPECT_EQ(key.value().algorithm, s.algorithm());
  EXPECT_TRUE(VerifyCheckpointSignature(key.value(), Bytes("payload"), sig.value()));
  EXPECT_FALSE(VerifyCheckpointSignature(key.value(), Bytes("payloaD"), sig.value()));
  auto flipped = sig.value();
  flipped[5] ^= 1;
  EXPECT_FALSE(VerifyCheckpointSignature(key.value(), Bytes("payload"), flipped));
  // keygen never overwrites
  EXPECT_FALSE(GenerateSignerKeyFile(path, GetParam()).ok());
}

INSTANTIATE_TEST_SUITE_P(Types, AuditSignerTypeTest,
                         ::testing::Values(SignerKeyType::kP256, SignerKeyType::kEd25519),
                         [](const ::testing::TestParamInfo<SignerKeyType>& p) {
                           return p.param == SignerKeyType::kP256 ? std::string("P256")
                                                                  : std::string("Ed25519");
                         });

TEST(AuditFileSignerTest, RefusesGroupOrWorldReadableKey) {
  testing::TempDir dir;
  const std::string path = dir.Sub("key.pem");
  ASSERT_TRUE(GenerateSignerKeyFile(path, SignerKeyType::kP256).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto s = FileCheckpointSigner::Load(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("group- or world-accessible"), std::string::npos)
      << s.error().ToString();
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  EXPECT_FALSE(FileCheckpointSigner::Load(path).ok());
}

// The signer key must be the file whose mode is checked: a symlink to a good key is refused.
TEST(AuditFileSignerTest, RefusesSymlinkedKey) {
  testing::TempDir dir;
  const std::string path = dir.Sub("key.pem");
  ASSERT_TRUE(GenerateSignerKeyFile(path, SignerKeyType::kEd25519).ok());
  ASSERT_TRUE(FileCheckpointSigner::Load(path).ok());
  const std::string link = dir.Sub("link.pem");
  ASSERT_EQ(::symlink(path.c_str(), link.c_str()), 0);
  auto s = FileCheckpointSigner::Load(link);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("symbolic link"), std::string::npos) << s.error().ToString();
}

TEST(AuditFileSignerTest, RejectsMissingAndNonKeyFiles) {
  testing::TempDir dir;
  EXPECT_FALSE(FileCheckpointSigner::Load(dir.Sub("absent.pem")).ok());
  const std::string path = dir.Sub("junk.pem");
  testing::WriteFile(path, "not a key");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_FALSE(FileCheckpointSigner::Load(path).ok());
}

TEST(AuditFileSignerTest, RejectsOtherCurves) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_FALSE(FileCheckpointSigner::FromKey(std::move(key)).ok());
}

// The shape of the HSM signer the lead will write: ECDSA over a given digest returning raw
// r||s. Here the "HSM" is an OpenSSL key used through the raw (digest-input) ECDSA operation.
class DigestOnlySigner : public EcdsaDigestSigner {
 public:
  DigestOnlySigner() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {}
  std::string key_id() const override { return KeyIdFromPublicKeyDer(PublicKeyDer(key_.get())); }
  std::string PublicKeyPem() const override { return xks::audit::PublicKeyPem(key_.get()); }
  Result<std::vector<std::uint8_t>, Problem> SignDigest(const Sha256Digest& digest) override {
    ++calls;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new(key_.get(), nullptr), EVP_PKEY_CTX_free);
    std::size_t len = 0;
    if (EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
      return Fail(MakeProblem("", "sign"));
    }
    std::vector<std::uint8_t> der(len);
    if (EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size()) != 1) {
      return Fail(MakeProblem("", "sign"));
    }
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    std::vector<std::uint8_t> raw(64);
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw.data() + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }
  int calls = 0;

 private:
  EvpPkeyPtr key_;
};

TEST(AuditEcdsaDigestSignerTest, DigestSignerProducesVerifiableCheckpointSignatures) {
  DigestOnlySigner signer;
  EXPECT_EQ(signer.algorithm(), "ecdsa-p256-sha256");
  auto sig = signer.Sign(Bytes("checkpoint payload"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(signer.calls, 1);
  auto key = ParseVerificationKey(signer.PublicKeyPem());
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(VerifyCheckpointSignature(key.value(), Bytes("checkpoint payload"), sig.value()));
}

TEST(AuditPublicKeyFromPointTest, BuildsTheSameKeyIdAsTheKey) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::vector<std::uint8_t> point(65);
  std::size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                            point.size(), &len),
            1);
  ASSERT_EQ(len, 65u);
  auto pem = P256PublicKeyPemFromPoint(point);
  ASSERT_TRUE(pem.ok()) << pem.error();
  auto parsed = ParseVerificationKey(pem.value());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().key_id, KeyIdFromPublicKeyDer(PublicKeyDer(key.get())));
  point[10] ^= 1;  // off the curve
  EXPECT_FALSE(P256PublicKeyPemFromPoint(point).ok());
}

}  // namespace
}  // namespace xks::audit
