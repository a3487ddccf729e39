#pragma once
// SHA-256 over a concatenation of byte strings (OpenSSL EVP). Thread-safe, never throws; an OpenSSL
// failure here means a broken process (out of memory, no default provider) and aborts loudly.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace xks::api {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// SHA-256 of the parts concatenated in order (no length framing).
Sha256Digest Sha256(std::initializer_list<std::span<const std::uint8_t>> parts);

}  // namespace xks::api
