#pragma once
// Standard Base64 (RFC 4648 section 4) for the conformance runner. The runner keeps its own codec
// so it shares nothing with the proxy under test.

#include <optional>
#include <string>
#include <string_view>

namespace xks::conformance {

/// Encodes bytes with the standard alphabet and '=' padding. Thread-safe (pure function).
std::string Base64Encode(std::string_view bytes);

/// Decodes strict standard Base64: length a multiple of 4, standard alphabet only, padding only at
/// the end, unused bits zero. Returns nullopt for anything else. Thread-safe (pure function).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace xks::conformance
