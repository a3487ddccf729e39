#pragma once
// Strict standard Base64 (RFC 4648 section 4, with padding), as the XKS spec requires. Decoding
// rejects the URL-safe alphabet, whitespace, missing or extra padding, and non-zero pad bits (so
// every byte string has exactly one accepted encoding). Thread-safe, never throws.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"

namespace xks::api {

/// Canonical padded encoding.
std::string Base64Encode(std::span<const std::uint8_t> data);

/// The decoded size of a well-formed `text`, or nullopt when its length or padding is malformed.
/// Cheap: lets callers check size limits before decoding.
std::optional<std::size_t> Base64DecodedSize(std::string_view text);

/// Decodes `text` into `out`, which must have exactly Base64DecodedSize(text) bytes.
/// Returns false (and leaves `out` unspecified) for any malformed input.
bool Base64DecodeInto(std::string_view text, std::span<std::uint8_t> out);

/// Convenience: decode into a vector (non-secret data: IV, tag, ciphertext, metadata).
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);
/// Convenience: decode into a zeroizing buffer (plaintext, AAD).
std::optional<SecretBytes> Base64DecodeSecret(std::string_view text);

}  // namespace xks::api
