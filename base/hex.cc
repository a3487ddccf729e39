#include "base/hex.h"

#include <algorithm>

#include "base/bytes.h"

namespace xks {
namespace {

constexpr char kLowerDigits[] = "0123456789abcdef";
constexpr char kUpperDigits[] = "0123456789ABCDEF";

}  // namespace

void AppendHexByte(std::string& out, std::uint8_t byte, bool upper) {
  const char* digits = upper ? kUpperDigits : kLowerDigits;
  out.push_back(digits[byte >> 4]);
  out.push_back(digits[byte & 0x0f]);
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string HexEncode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) AppendHexByte(out, b);
  return out;
}

std::string HexEncode(std::string_view bytes) { return HexEncode(AsBytes(bytes)); }

SecretBytes HexEncodeSecret(std::span<const std::uint8_t> bytes) {
  // Written in place: a std::string intermediate would leave an unwiped copy of the secret.
  SecretBytes out(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out.data()[2 * i] = static_cast<std::uint8_t>(kLowerDigits[bytes[i] >> 4]);
    out.data()[2 * i + 1] = static_cast<std::uint8_t>(kLowerDigits[bytes[i] & 0x0f]);
  }
  return out;
}

bool HexDecodeInto(std::string_view hex, std::span<std::uint8_t> out) {
  if (hex.size() != 2 * out.size()) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  if (!HexDecodeInto(hex, out)) return std::nullopt;
  return out;
}

bool IsLowercaseHex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace xks
