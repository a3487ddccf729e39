#pragma once
// Creating keys in a token and signing with them, on one session. Internal to pkcs11/.

#include <cstdint>
#include <span>
#include <vector>

#include "pkcs11/module.h"
#include "pkcs11/secret_bytes.h"

namespace xks::pkcs11 {

/// CKM_AES_KEY_GEN of a 32-byte token key: private, sensitive, non-extractable, the usage in
/// `spec`.
HsmResult<CK_OBJECT_HANDLE> GenerateAesKey(Module& module, CK_SESSION_HANDLE session,
                                           const AesKeySpec& spec);

/// C_CreateObject of a known AES key (tests only): same attributes as GenerateAesKey plus
/// CKA_VALUE.
HsmResult<CK_OBJECT_HANDLE> ImportAesKey(Module& module, CK_SESSION_HANDLE session,
                                         const AesKeySpec& spec, const SecretBytes& value);

/// CKM_EC_KEY_PAIR_GEN on P-256. Returns {public, private} handles.
HsmResult<std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>> GenerateEcP256(
    Module& module, CK_SESSION_HANDLE session, std::span<const std::uint8_t> label,
    std::span<const std::uint8_t> id);

/// CKM_ECDSA over `digest`; the raw r||s signature. `session_dirty` as in aes_gcm.h.
HsmResult<std::vector<std::uint8_t>> SignEcdsaRaw(Module& module, CK_SESSION_HANDLE session,
                                                  CK_OBJECT_HANDLE key,
                                                  std::span<const std::uint8_t> digest,
                                                  bool& session_dirty);

/// DER of the P-256 OID 1.2.840.10045.3.1.7 (CKA_EC_PARAMS).
std::span<const std::uint8_t> P256EcParams();

}  // namespace xks::pkcs11
