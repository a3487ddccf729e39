#include "proxy/runtime/hsm_checkpoint_signer.h"

#include <chrono>

namespace xks::runtime {
namespace {
// Signing a checkpoint is off the request path, but a hung HSM must not stall the writer forever:
// the writer then retries and, past its grace period, fails closed.
constexpr std::chrono::seconds kSignTimeout{5};
constexpr std::size_t kPointSize = 65;
}  // namespace

std::optional<std::vector<std::uint8_t>> UncompressedP256Point(
    std::span<const std::uint8_t> ec_point) {
  if (ec_point.size() == kPointSize + 2 && ec_point[0] == 0x04 && ec_point[1] == kPointSize &&
      ec_point[2] == 0x04) {
    return std::vector<std::uint8_t>(ec_point.begin() + 2, ec_point.end());
  }
  if (ec_point.size() == kPointSize && ec_point[0] == 0x04) {
    return std::vector<std::uint8_t>(ec_point.begin(), ec_point.end());
  }
  return std::nullopt;
}

Result<std::unique_ptr<HsmCheckpointSigner>, Problem> HsmCheckpointSigner::Open(
    std::shared_ptr<pkcs11::TokenClient> token, std::string key_label) {
  auto deadline = std::chrono::steady_clock::now() + kSignTimeout;
  auto public_key = token->GetEcPublicKey(key_label, deadline);
  if (!public_key.ok()) {
    return Fail(MakeProblem("audit signing key " + key_label, public_key.error().ToLogString()));
  }
  auto point = UncompressedP256Point(public_key->ec_point);
  if (!point) {
    return Fail(MakeProblem("audit signing key " + key_label, "not an uncompressed P-256 point"));
  }
  auto pem = audit::P256PublicKeyPemFromPoint(*point);
  if (!pem.ok()) return Fail(MakeProblem("audit signing key " + key_label, pem.error().Message()));
  auto parsed = audit::ParseVerificationKey(*pem);
  if (!parsed.ok()) {
    return Fail(MakeProblem("audit signing key " + key_label, parsed.error().Message()));
  }
  return std::unique_ptr<HsmCheckpointSigner>(new HsmCheckpointSigner(
      std::move(token), std::move(key_label), parsed->key_id, std::move(pem).value()));
}

HsmCheckpointSigner::HsmCheckpointSigner(std::shared_ptr<pkcs11::TokenClient> token,
                                         std::string key_label, std::string key_id,
                                         std::string public_pem)
    : token_(std::move(token)),
      key_label_(std::move(key_label)),
      key_id_(std::move(key_id)),
      public_pem_(std::move(public_pem)) {}

Result<std::vector<std::uint8_t>, Problem> HsmCheckpointSigner::SignDigest(
    const Sha256Digest& digest) {
  auto signature =
      token_->SignEcdsa(key_label_, digest, std::chrono::steady_clock::now() + kSignTimeout);
  if (!signature.ok()) {
    return Fail(MakeProblem("", "HSM signature failed: " + signature.error().ToLogString()));
  }
  return std::move(signature).value();
}

}  // namespace xks::runtime
