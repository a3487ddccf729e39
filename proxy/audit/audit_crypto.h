#pragma once
// Public-key helpers shared by the audit writer, signers and verifier: the DER and PEM forms of a
// key and the key id written in checkpoints. Hashes, hex, Base64 and the OpenSSL owners come from
// base/ (included here because every user of this header needs them).
// All functions are thread-safe (no shared state) and never throw.

#include <openssl/evp.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/base64.h"
#include "base/hex.h"
#include "base/openssl.h"
#include "base/sha256.h"

namespace xks::audit {

/// The DER SubjectPublicKeyInfo of `key`; empty on failure.
std::vector<std::uint8_t> PublicKeyDer(EVP_PKEY* key);
/// The PEM SubjectPublicKeyInfo of `key`; empty on failure.
std::string PublicKeyPem(EVP_PKEY* key);
/// Key id as written in checkpoints: the first 16 bytes of SHA-256(DER SubjectPublicKeyInfo),
/// as 32 lower-case hex digits.
std::string KeyIdFromPublicKeyDer(std::span<const std::uint8_t> spki_der);

}  // namespace xks::audit
