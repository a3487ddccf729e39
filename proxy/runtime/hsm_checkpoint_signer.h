#pragma once
// The audit checkpoint signer whose P-256 private key lives in an HSM token of its own (never a
// tenant's token): CKM_ECDSA over the SHA-256 digest of each checkpoint payload. The key is
// generated in the token (sensitive, non-extractable) and never leaves it.
//
// Thread safety: per CheckpointSigner — Sign from the audit writer thread; the rest from any
// thread.

#include <memory>
#include <string>

#include "pkcs11/hsm.h"
#include "proxy/audit/checkpoint_signer.h"

namespace xks::runtime {

class HsmCheckpointSigner final : public audit::EcdsaDigestSigner {
 public:
  /// Uses the P-256 key pair labelled `key_label` in `token` (reads its public key once).
  /// Errors: text for operators (key missing, not P-256, token unavailable).
  static Result<std::unique_ptr<HsmCheckpointSigner>, Problem> Open(
      std::shared_ptr<pkcs11::TokenClient> token, std::string key_label);

  std::string key_id() const override { return key_id_; }
  std::string PublicKeyPem() const override { return public_pem_; }
  Result<std::vector<std::uint8_t>, Problem> SignDigest(const Sha256Digest& digest) override;

 private:
  HsmCheckpointSigner(std::shared_ptr<pkcs11::TokenClient> token, std::string key_label,
                      std::string key_id, std::string public_pem);

  std::shared_ptr<pkcs11::TokenClient> token_;
  std::string key_label_;
  std::string key_id_;
  std::string public_pem_;
};

/// CKA_EC_POINT is a DER OCTET STRING around the X9.62 point; some modules store the bare point.
/// Returns the 65-byte uncompressed point, or nullopt if it is neither form.
std::optional<std::vector<std::uint8_t>> UncompressedP256Point(
    std::span<const std::uint8_t> ec_point);

}  // namespace xks::runtime
