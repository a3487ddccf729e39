#include "proxy/audit/checkpoint_signer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstring>

#include "base/secret_file.h"

namespace xks::audit {
namespace {

constexpr std::size_t kP256Half = 32;
// A PEM private key of the accepted types is well under 1 KiB; the cap only stops a wrong file
// from being read into memory whole.
constexpr std::size_t kMaxSignerKeyPemBytes = 64 * 1024;

// The message names the file and what is wrong with it, never its content.
Problem DescribeKeyFileError(const SecretFileError& e) {
  switch (e.kind) {
    case SecretFileErrorKind::kMissing:
    case SecretFileErrorKind::kIo:
      return MakeProblem(e.path, std::string("cannot open: ") + std::strerror(e.sys_errno));
    case SecretFileErrorKind::kSymlink:
      return MakeProblem(e.path, "cannot open: a symbolic link is not accepted for a signer key");
    case SecretFileErrorKind::kNotRegular:
      return MakeProblem(e.path, "not a regular file");
    case SecretFileErrorKind::kAccessibleByOthers:
      return MakeProblem(e.path,
                         "key file is group- or world-accessible (mode " + e.OctalMode() + ")",
                         "run chmod 600 " + e.path);
    case SecretFileErrorKind::kTooLarge:
      return MakeProblem(e.path, "too large for a PEM key");
    case SecretFileErrorKind::kEmpty:
      break;
  }
  return MakeProblem(e.path, "not a PEM private key (the file is empty)");
}

// Only P-256 and Ed25519 are accepted so that every checkpoint algorithm is one a verifier in
// another language can check with a mainstream library.
Result<std::string, Problem> AlgorithmOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519")) return std::string(kAlgEd25519);
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0)) {
      return std::string(kAlgEcdsaP256);
    }
    return Fail(MakeProblem("", "EC key is not on curve P-256"));
  }
  return Fail(MakeProblem("", "key type is neither EC P-256 nor Ed25519"));
}

// DER ECDSA-Sig-Value -> raw r||s, because CKM_ECDSA (the HSM signer) produces raw and one
// wire format keeps verifiers simple.
Result<std::vector<std::uint8_t>, Problem> DerToRaw(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Fail(MakeProblem("", "cannot parse ECDSA signature: " + OpenSslErrors()));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::vector<std::uint8_t> raw(2 * kP256Half);
  if (BN_bn2binpad(r, raw.data(), kP256Half) != static_cast<int>(kP256Half) ||
      BN_bn2binpad(s, raw.data() + kP256Half, kP256Half) != static_cast<int>(kP256Half)) {
    return Fail(MakeProblem("", "ECDSA signature component too large"));
  }
  return raw;
}

std::vector<std::uint8_t> RawToDer(std::span<const std::uint8_t> raw) {
  if (raw.size() != 2 * kP256Half) return {};
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!sig) return {};
  BignumPtr r(BN_bin2bn(raw.data(), kP256Half, nullptr));
  BignumPtr s(BN_bin2bn(raw.data() + kP256Half, kP256Half, nullptr));
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  // ECDSA_SIG_set0 took ownership of both numbers.
  (void)r.release();
  (void)s.release();
  unsigned char* raw_der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &raw_der);
  const OpenSslMemoryPtr<unsigned char> der(raw_der);
  if (len <= 0) return {};
  return std::vector<std::uint8_t>(der.get(), der.get() + len);
}

}  // namespace

Result<std::vector<std::uint8_t>, Problem> EcdsaDigestSigner::Sign(
    std::span<const std::uint8_t> message) {
  return SignDigest(Sha256(message));
}

FileCheckpointSigner::FileCheckpointSigner(EvpPkeyPtr key, std::string algorithm)
    : key_(std::move(key)), algorithm_(std::move(algorithm)) {
  key_id_ = KeyIdFromPublicKeyDer(PublicKeyDer(key_.get()));
  public_pem_ = xks::audit::PublicKeyPem(key_.get());
}

Result<std::unique_ptr<FileCheckpointSigner>, Problem> FileCheckpointSigner::FromKey(
    EvpPkeyPtr key) {
  if (!key) return Fail(MakeProblem("", "no key"));
  auto alg = AlgorithmOf(key.get());
  if (!alg.ok()) return Fail(alg.error());
  return std::unique_ptr<FileCheckpointSigner>(
      new FileCheckpointSigner(std::move(key), std::move(alg).value()));
}

Result<std::unique_ptr<FileCheckpointSigner>, Problem> FileCheckpointSigner::Load(
    const std::string& path) {
  // A symlink is refused: the key file itself must be the one whose mode is checked. A signing
  // key readable by others lets them forge checkpoints; refuse rather than warn.
  auto pem = ReadSecretFile(path, {.max_bytes = kMaxSignerKeyPemBytes,
                                   .follow_symlinks = false,
                                   .strip_trailing_newline = false,
                                   .allow_empty = true});  // an empty file fails as "not a PEM"
  if (!pem.ok()) return Fail(DescribeKeyFileError(pem.error()));
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Fail(MakeProblem(path, "not a PEM private key: " + OpenSslErrors()));
  auto signer = FromKey(std::move(key));
  if (!signer.ok()) return Fail(MakeProblem(path, signer.error().problem, signer.error().fix));
  return signer;
}

Result<std::vector<std::uint8_t>, Problem> FileCheckpointSigner::Sign(
    std::span<const std::uint8_t> message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return Fail(MakeProblem("", "out of memory"));
  bool ecdsa = algorithm_ == kAlgEcdsaP256;
  if (EVP_DigestSignInit(ctx.get(), nullptr, ecdsa ? Sha256Md() : nullptr, nullptr, key_.get()) !=
      1) {
    return Fail(MakeProblem("", "sign init: " + OpenSslErrors()));
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return Fail(MakeProblem("", "sign: " + OpenSslErrors()));
  }
  std::vector<std::uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return Fail(MakeProblem("", "sign: " + OpenSslErrors()));
  }
  sig.resize(len);
  if (ecdsa) return DerToRaw(sig);
  return sig;
}

Result<void, Problem> GenerateSignerKeyFile(const std::string& path, SignerKeyType type) {
  EvpPkeyPtr key(type == SignerKeyType::kEd25519
                     ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Fail(MakeProblem(path, "key generation failed: " + OpenSslErrors()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail(MakeProblem(path, "cannot encode key: " + OpenSslErrors()));
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  auto written = WriteNewSecretFile(
      path, std::span(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len)),
      0600);
  OPENSSL_cleanse(data, static_cast<std::size_t>(len));
  if (!written.ok()) return Fail(MakeProblem(path, written.error().Message()));
  return {};
}

Result<std::string, Problem> P256PublicKeyPemFromPoint(std::span<const std::uint8_t> point) {
  if (point.size() != 65 || point[0] != 0x04) {
    return Fail(MakeProblem("", "expected a 65-byte uncompressed P-256 point"));
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Fail(MakeProblem("", "param build: " + OpenSslErrors()));
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Fail(MakeProblem("", "invalid P-256 point: " + OpenSslErrors()));
  }
  EvpPkeyPtr key(raw);
  std::string pem = PublicKeyPem(key.get());
  if (pem.empty()) return Fail(MakeProblem("", "cannot encode public key: " + OpenSslErrors()));
  return pem;
}

Result<VerificationKey, Problem> ParseVerificationKey(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    BioPtr again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    key.reset(PEM_read_bio_PrivateKey(again.get(), nullptr, nullptr, nullptr));
  }
  if (!key) return Fail(MakeProblem("", "not a PEM public key: " + OpenSslErrors()));
  auto alg = AlgorithmOf(key.get());
  if (!alg.ok()) return Fail(alg.error());
  VerificationKey out;
  out.key_id = KeyIdFromPublicKeyDer(PublicKeyDer(key.get()));
  out.algorithm = std::move(alg).value();
  out.key = std::shared_ptr<EVP_PKEY>(std::move(key));
  return out;
}

bool VerifyCheckpointSignature(const VerificationKey& key, std::span<const std::uint8_t> message,
                               std::span<const std::uint8_t> signature) {
  bool ecdsa = key.algorithm == kAlgEcdsaP256;
  std::vector<std::uint8_t> sig;
  if (ecdsa) {
    sig = RawToDer(signature);
    if (sig.empty()) return false;
  } else {
    if (signature.size() != 64) return false;
    sig.assign(signature.begin(), signature.end());
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, ecdsa ? Sha256Md() : nullptr, nullptr,
                                   key.key.get()) != 1) {
    OpenSslErrors();
    return false;
  }
  bool ok =
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
  if (!ok) OpenSslErrors();  // keep the thread's error queue clean for other callers
  return ok;
}

}  // namespace xks::audit
