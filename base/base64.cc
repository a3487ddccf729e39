#include "base/base64.h"

#include <array>

#include "base/bytes.h"

namespace xks {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> MakeTable() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr std::array<std::int8_t, 256> kTable = MakeTable();

int Value(char c) { return kTable[static_cast<unsigned char>(c)]; }

std::size_t EncodedSize(std::size_t n) { return (n + 2) / 3 * 4; }

// Writes the encoding of `data` to `out`, which has exactly EncodedSize(data.size()) bytes. One
// writer for both outputs, so the secret variant never goes through a plain std::string.
template <typename Out>
void EncodeTo(std::span<const std::uint8_t> data, Out* out) {
  std::size_t o = 0;
  const auto put = [&](char c) { out[o++] = static_cast<Out>(c); };
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t n =
        (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    put(kAlphabet[(n >> 18) & 63]);
    put(kAlphabet[(n >> 12) & 63]);
    put(kAlphabet[(n >> 6) & 63]);
    put(kAlphabet[n & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t n = std::uint32_t{data[i]} << 16;
    put(kAlphabet[(n >> 18) & 63]);
    put(kAlphabet[(n >> 12) & 63]);
    put('=');
    put('=');
  } else if (rest == 2) {
    std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    put(kAlphabet[(n >> 18) & 63]);
    put(kAlphabet[(n >> 12) & 63]);
    put(kAlphabet[(n >> 6) & 63]);
    put('=');
  }
}

}  // namespace

std::string Base64Encode(std::span<const std::uint8_t> data) {
  std::string out(EncodedSize(data.size()), '\0');
  EncodeTo(data, out.data());
  return out;
}

std::string Base64Encode(std::string_view bytes) { return Base64Encode(AsBytes(bytes)); }

SecretBytes Base64EncodeSecret(std::span<const std::uint8_t> data) {
  SecretBytes out(EncodedSize(data.size()));
  EncodeTo(data, out.data());
  return out;
}

std::optional<std::size_t> Base64DecodedSize(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return 0;
  std::size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  if (pad == 1 && text[text.size() - 2] == '=') return std::nullopt;
  return text.size() / 4 * 3 - pad;
}

bool Base64DecodeInto(std::string_view text, std::span<std::uint8_t> out) {
  auto size = Base64DecodedSize(text);
  if (!size || *size != out.size()) return false;
  const std::size_t pad = text.size() / 4 * 3 - *size;
  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t data_chars = last ? 4 - pad : 4;
    std::uint32_t n = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      int v = 0;
      if (j < data_chars) {
        v = Value(text[i + j]);
        if (v < 0) return false;  // '=' inside, whitespace, '-', '_', non-ASCII
      } else if (text[i + j] != '=') {
        return false;
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    // Non-zero bits under the padding would give a second encoding of the same bytes.
    if (data_chars == 2 && (n & 0xFFFF) != 0) return false;
    if (data_chars == 3 && (n & 0xFF) != 0) return false;
    out[o++] = static_cast<std::uint8_t>(n >> 16);
    if (data_chars >= 3) out[o++] = static_cast<std::uint8_t>(n >> 8);
    if (data_chars == 4) out[o++] = static_cast<std::uint8_t>(n);
  }
  return o == out.size();
}

std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text) {
  auto size = Base64DecodedSize(text);
  if (!size) return std::nullopt;
  std::vector<std::uint8_t> out(*size);
  if (!Base64DecodeInto(text, out)) return std::nullopt;
  return out;
}

std::optional<std::string> Base64DecodeToString(std::string_view text) {
  auto size = Base64DecodedSize(text);
  if (!size) return std::nullopt;
  std::string out(*size, '\0');
  if (!Base64DecodeInto(text, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()})) {
    return std::nullopt;
  }
  return out;
}

std::optional<SecretBytes> Base64DecodeSecret(std::string_view text) {
  auto size = Base64DecodedSize(text);
  if (!size) return std::nullopt;
  SecretBytes out(*size);
  if (!Base64DecodeInto(text, out.mutable_span())) return std::nullopt;
  return out;
}

}  // namespace xks
