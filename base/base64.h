#pragma once
// Strict standard Base64 (RFC 4648 section 4, with padding), as the XKS spec requires. Decoding
// rejects the URL-safe alphabet, whitespace, missing or extra padding, and non-zero pad bits (so
// every byte string has exactly one accepted encoding). Thread-safe (pure functions), never throws
// (std::bad_alloc aside).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"

namespace xks {

/// Canonical padded encoding.
std::string Base64Encode(std::span<const std::uint8_t> data);
/// Canonical padded encoding of the bytes of `bytes` (for callers that keep bytes in a string).
std::string Base64Encode(std::string_view bytes);
/// Canonical padded encoding into a zeroizing buffer, for secrets (generated SigV4 keys).
SecretBytes Base64EncodeSecret(std::span<const std::uint8_t> data);

/// The decoded size of a well-formed `text`, or nullopt when its length or padding is malformed.
/// Cheap: lets callers check size limits before decoding.
std::optional<std::size_t> Base64DecodedSize(std::string_view text);

/// Decodes `text` into `out`, which must have exactly Base64DecodedSize(text) bytes.
/// Returns false (and leaves `out` unspecified) for any malformed input.
bool Base64DecodeInto(std::string_view text, std::span<std::uint8_t> out);

/// Convenience: decode into a vector (non-secret data: IV, tag, ciphertext, metadata).
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);
/// Convenience: decode into a string of bytes (the conformance runner keeps bytes in strings).
std::optional<std::string> Base64DecodeToString(std::string_view text);
/// Convenience: decode into a zeroizing buffer (plaintext, AAD).
std::optional<SecretBytes> Base64DecodeSecret(std::string_view text);

}  // namespace xks
