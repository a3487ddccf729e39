#pragma once
// Signing and verifying audit checkpoints. A checkpoint signs a fixed text payload (see
// docs/audit-format.md, "Checkpoint payload") with one of two algorithms:
//   "ecdsa-p256-sha256": ECDSA P-256 over SHA-256(payload); signature = raw r||s, 64 bytes
//                         (the CKM_ECDSA output format, so an HSM key fits without conversion).
//   "ed25519":           pure Ed25519 over the payload; signature = 64 bytes.
// Signatures are written Base64 in the record.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/audit/audit_crypto.h"

namespace xks::audit {

inline constexpr std::string_view kAlgEcdsaP256 = "ecdsa-p256-sha256";
inline constexpr std::string_view kAlgEd25519 = "ed25519";

/// Signs checkpoint payloads. Implementations: FileCheckpointSigner (PEM key file) here, and an
/// HSM-held key on the pkcs11 layer (derive from EcdsaDigestSigner).
/// Thread safety: the audit writer calls Sign from its one writer thread only; key_id(),
/// algorithm() and PublicKeyPem() must be callable from any thread.
class CheckpointSigner {
 public:
  virtual ~CheckpointSigner() = default;
  /// 32 hex digits: KeyIdFromPublicKeyDer of the public key. Constant for the signer's life.
  virtual std::string key_id() const = 0;
  /// kAlgEcdsaP256 or kAlgEd25519.
  virtual std::string algorithm() const = 0;
  /// Signs `message` (the checkpoint payload) per algorithm(). Errors: a Problem for operators
  /// (never a secret); the writer retries on the next checkpoint and fails closed after the grace.
  virtual Result<std::vector<std::uint8_t>, Problem> Sign(
      std::span<const std::uint8_t> message) = 0;
  /// The public key as PEM SubjectPublicKeyInfo, for `xks-audit public-key` and verifiers.
  virtual std::string PublicKeyPem() const = 0;
};

/// Base for a signer that can only sign a precomputed SHA-256 digest (PKCS#11 CKM_ECDSA): it
/// hashes the payload and calls SignDigest. algorithm() is kAlgEcdsaP256.
class EcdsaDigestSigner : public CheckpointSigner {
 public:
  std::string algorithm() const override { return std::string(kAlgEcdsaP256); }
  Result<std::vector<std::uint8_t>, Problem> Sign(std::span<const std::uint8_t> message) final;
  /// Signs the 32-byte digest with the P-256 key; must return raw r||s (64 bytes, each half
  /// big-endian, left-padded), exactly what CKM_ECDSA returns.
  virtual Result<std::vector<std::uint8_t>, Problem> SignDigest(const Sha256Digest& digest) = 0;
};

enum class SignerKeyType { kP256, kEd25519 };

/// A signer holding its private key in process memory, loaded from a PEM (PKCS#8 or
/// traditional) private-key file. Thread-compatible per the interface contract.
class FileCheckpointSigner : public CheckpointSigner {
 public:
  /// Loads `path`. Errors (Problem at the file's path): file missing/unreadable, group- or
  /// world-accessible (mode & 077 != 0), not a PEM private key, or not a P-256 / Ed25519 key.
  static Result<std::unique_ptr<FileCheckpointSigner>, Problem> Load(const std::string& path);
  /// Wraps an already-loaded key (tests, keygen). Errors as Load for unsupported key types.
  static Result<std::unique_ptr<FileCheckpointSigner>, Problem> FromKey(EvpPkeyPtr key);

  std::string key_id() const override { return key_id_; }
  std::string algorithm() const override { return algorithm_; }
  Result<std::vector<std::uint8_t>, Problem> Sign(std::span<const std::uint8_t> message) override;
  std::string PublicKeyPem() const override { return public_pem_; }

 private:
  FileCheckpointSigner(EvpPkeyPtr key, std::string algorithm);
  EvpPkeyPtr key_;
  std::string algorithm_;
  std::string key_id_;
  std::string public_pem_;
};

/// Generates a new private key of `type` and writes it as PKCS#8 PEM to `path`, created with
/// mode 0600 and O_EXCL (an existing file is never overwritten). Errors: a Problem at `path`.
Result<void, Problem> GenerateSignerKeyFile(const std::string& path, SignerKeyType type);

/// Builds the PEM SubjectPublicKeyInfo for a P-256 public point (65-byte uncompressed
/// 0x04||X||Y, e.g. the CKA_EC_POINT of an HSM key after unwrapping its DER OCTET STRING).
/// The key id is KeyIdFromPublicKeyDer of the same key. Errors: a Problem.
Result<std::string, Problem> P256PublicKeyPemFromPoint(std::span<const std::uint8_t> point);

/// A public key a verifier accepts, with its key id and algorithm.
struct VerificationKey {
  std::string key_id;
  std::string algorithm;
  std::shared_ptr<EVP_PKEY> key;
};

/// Parses a PEM SubjectPublicKeyInfo (P-256 or Ed25519). A PEM private key is accepted too and
/// its public half used. Errors: a Problem.
Result<VerificationKey, Problem> ParseVerificationKey(std::string_view pem);

/// Verifies `signature` over `message` per the key's algorithm (for ECDSA: raw r||s over
/// SHA-256(message)). False on any mismatch or malformed signature. Thread-safe.
bool VerifyCheckpointSignature(const VerificationKey& key, std::span<const std::uint8_t> message,
                               std::span<const std::uint8_t> signature);

}  // namespace xks::audit
