#pragma once
// Creating keys in a token and signing with them, on one session. Internal to pkcs11/.

#include <cstdint>
#include <span>
#include <vector>

#include "base/secret_bytes.h"
#include "pkcs11/module.h"

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

/// CKM_RSA_PKCS_KEY_PAIR_GEN of an RSA wrapping pair (exponent 65537): private key sensitive,
/// non-extractable, CKA_UNWRAP only; public key CKA_WRAP/CKA_ENCRYPT. Returns {public, private}.
HsmResult<std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>> GenerateRsaWrappingPair(
    Module& module, CK_SESSION_HANDLE session, std::span<const std::uint8_t> label,
    std::span<const std::uint8_t> id, CK_ULONG bits);

/// C_UnwrapKey with CKM_RSA_PKCS_OAEP (`hash`, MGF1 with `hash`, no label) of `wrapped` under the
/// private key `unwrapping_key` into an AES token key with the attributes of GenerateAesKey.
HsmResult<CK_OBJECT_HANDLE> UnwrapAesKeyOaep(Module& module, CK_SESSION_HANDLE session,
                                             CK_OBJECT_HANDLE unwrapping_key,
                                             std::span<const std::uint8_t> wrapped,
                                             const AesKeySpec& spec, OaepHash hash);

/// CKM_ECDSA over `digest`; the raw r||s signature. `session_dirty` as in aes_gcm.h.
HsmResult<std::vector<std::uint8_t>> SignEcdsaRaw(Module& module, CK_SESSION_HANDLE session,
                                                  CK_OBJECT_HANDLE key,
                                                  std::span<const std::uint8_t> digest,
                                                  bool& session_dirty);

/// DER of the P-256 OID 1.2.840.10045.3.1.7 (CKA_EC_PARAMS).
std::span<const std::uint8_t> P256EcParams();

}  // namespace xks::pkcs11
