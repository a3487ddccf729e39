#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL EVP, algorithms fetched once per process, so a per-request
// verifier does not look them up in the provider store on every call). Thread-safe, never throws;
// an OpenSSL failure here means a broken process (out of memory, no default provider), not bad
// input, so it aborts loudly rather than let a caller run on a garbage digest.

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace xks {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// SHA-256 of `data`.
Sha256Digest Sha256(std::span<const std::uint8_t> data);
/// SHA-256 of the bytes of `data`.
Sha256Digest Sha256(std::string_view data);
/// SHA-256 of the parts concatenated in order (no length framing).
Sha256Digest Sha256(std::initializer_list<std::span<const std::uint8_t>> parts);
/// Lower-case hex of SHA-256(`data`) (e.g. the payload-hash line of a SigV4 canonical request).
std::string Sha256Hex(std::string_view data);

/// HMAC-SHA256(`key`, `data`). An empty key is the one byte 0x00 (the same HMAC key, since HMAC
/// zero-pads short keys). The result may be key material: callers that keep it wipe it.
Sha256Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view data);

/// The fetched SHA-256 implementation, for EVP_DigestSign/Verify callers. Never null.
const EVP_MD* Sha256Md();

}  // namespace xks
