#pragma once
// Small crypto and encoding helpers shared by the audit writer, signers and verifier: SHA-256,
// hex, Base64, and RAII owners for the OpenSSL handles the audit room uses.
// All functions are thread-safe (no shared state) and never throw.

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xks::audit {

using Digest = std::array<std::uint8_t, 32>;

/// SHA-256 of `data`.
Digest Sha256(std::span<const std::uint8_t> data);
/// SHA-256 of the bytes of `text`.
Digest Sha256(std::string_view text);
/// SHA-256(a || b) for two 32-byte values: the chain step.
Digest Sha256Concat(const Digest& a, const Digest& b);

/// Lower-case hex of `data`.
std::string Hex(std::span<const std::uint8_t> data);
/// Parses exactly 64 lower- or upper-case hex digits; nullopt otherwise.
std::optional<Digest> ParseDigestHex(std::string_view hex);

/// Standard Base64 with padding.
std::string Base64Encode(std::span<const std::uint8_t> data);
/// Strict standard Base64 (with padding); nullopt when malformed.
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
/// Owns an EVP_PKEY.
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

/// The DER SubjectPublicKeyInfo of `key`; empty on failure.
std::vector<std::uint8_t> PublicKeyDer(EVP_PKEY* key);
/// The PEM SubjectPublicKeyInfo of `key`; empty on failure.
std::string PublicKeyPem(EVP_PKEY* key);
/// Key id as written in checkpoints: the first 16 bytes of SHA-256(DER SubjectPublicKeyInfo),
/// as 32 lower-case hex digits.
std::string KeyIdFromPublicKeyDer(std::span<const std::uint8_t> spki_der);

/// The OpenSSL error queue as one line (and clears it); for messages, never contains secrets.
std::string OpenSslErrors();

}  // namespace xks::audit
