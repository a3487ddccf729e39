#pragma once
// AES-256-GCM (CKM_AES_GCM, 128-bit tag) on one session with one key handle. Internal to pkcs11/.

#include <cstdint>
#include <span>

#include "base/secret_bytes.h"
#include "pkcs11/module.h"

namespace xks::pkcs11 {

inline constexpr std::size_t kGcmTagBytes = 16;
inline constexpr std::size_t kGcmIvBytes = 12;
inline constexpr std::size_t kMaxAadBytes = 65535;

/// How the IV of an encryption is chosen.
enum class GcmIvMode {
  kExplicit,      ///< `iv` is used as given (known-answer tests; the layer's own random IVs)
  kHsmGenerated,  ///< the module writes a 12-byte IV into the params in C_EncryptInit (v3.0)
};

/// Encrypts. With kHsmGenerated, `iv` must be 12 bytes and receives the module's IV.
/// `session_dirty` is set when an operation may still be active on the session (C_EncryptInit
/// succeeded but C_Encrypt failed: modules differ on whether a failure ends the operation); the
/// caller must cancel or discard the session.
HsmResult<GcmSealed> GcmEncrypt(Module& module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                                GcmIvMode mode, std::span<std::uint8_t> iv,
                                std::span<const std::uint8_t> plaintext,
                                std::span<const std::uint8_t> aad, bool& session_dirty);

/// Decrypts and verifies; the plaintext is returned only if the tag verified. Same `session_dirty`
/// contract as GcmEncrypt.
HsmResult<SecretBytes> GcmDecrypt(Module& module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                                  std::span<const std::uint8_t> iv,
                                  std::span<const std::uint8_t> ciphertext,
                                  std::span<const std::uint8_t> tag,
                                  std::span<const std::uint8_t> aad, bool& session_dirty);

/// Size checks shared by the facade: IV 12 or 16 bytes, tag 16, AAD <= 65535.
HsmResult<void> CheckGcmSizes(std::size_t iv, std::size_t tag, std::size_t aad);

}  // namespace xks::pkcs11
