#pragma once
// Hex encoding and decoding: lower-case output, decoding accepts either case. Thread-safe (pure
// functions), never throws (std::bad_alloc aside).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"

namespace xks {

/// Appends the two hex digits of `byte` to `out`, upper-case when `upper` (percent-encoding,
/// pkcs11 URIs), lower-case otherwise.
void AppendHexByte(std::string& out, std::uint8_t byte, bool upper = false);
/// The value of one hex digit (either case), or -1 when `c` is not a hex digit.
int HexDigitValue(char c);

/// Lower-case hex of `bytes`.
std::string HexEncode(std::span<const std::uint8_t> bytes);
/// Lower-case hex of the bytes of `bytes` (for callers that keep bytes in a string).
std::string HexEncode(std::string_view bytes);
/// Lower-case hex of `bytes` into a zeroizing buffer (generated PINs).
SecretBytes HexEncodeSecret(std::span<const std::uint8_t> bytes);

/// Decodes hex (either case). nullopt on odd length or a non-hex character.
std::optional<std::vector<std::uint8_t>> HexDecode(std::string_view hex);
/// Decodes exactly 2 * out.size() hex digits (either case) into `out`. False (and `out`
/// unspecified) on any other length or a non-hex character.
bool HexDecodeInto(std::string_view hex, std::span<std::uint8_t> out);
/// Decodes exactly 2 * N hex digits (either case), e.g. a SHA-256 digest; nullopt otherwise.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> HexDecodeFixed(std::string_view hex) {
  std::array<std::uint8_t, N> out{};
  if (!HexDecodeInto(hex, out)) return std::nullopt;
  return out;
}

/// True iff `s` is exactly `length` characters of lower-case hex [0-9a-f].
bool IsLowercaseHex(std::string_view s, std::size_t length);

}  // namespace xks
