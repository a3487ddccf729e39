#pragma once
// The AAD the HSM sees, and the Ciphertext Data Integrity Value, exactly as the XKS spec defines
// them (Encrypt, "ciphertextMetadata"; Appendix C). Thread-safe, never throws.

#include <cstdint>
#include <span>
#include <string>

#include "base/secret_bytes.h"

namespace xks::api {

/// 2-byte big-endian length of `aad` || aad || 1-byte length of `metadata` || metadata.
/// Absent fields are passed empty (length 0). Preconditions (checked by request validation):
/// aad.size() <= 65535, metadata.size() <= 255. The result holds caller AAD, so it is a
/// SecretBytes.
SecretBytes BuildHsmAad(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> metadata);

/// SHA-256 over aad || metadata || iv || ciphertext || tag (spec Appendix C), Base64 encoded.
std::string ComputeCdivSha256(std::span<const std::uint8_t> aad,
                              std::span<const std::uint8_t> metadata,
                              std::span<const std::uint8_t> iv,
                              std::span<const std::uint8_t> ciphertext,
                              std::span<const std::uint8_t> tag);

}  // namespace xks::api
