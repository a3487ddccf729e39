#pragma once
// Views between text and bytes, for code that keeps bytes in std::string (wire text, the
// conformance runner) and calls byte-span APIs. Thread-safe (pure functions).

#include <cstdint>
#include <span>
#include <string_view>

namespace xks {

/// The bytes of `text`, viewed (no copy); the view dies with `text`'s storage.
inline std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// `bytes` viewed as characters (no copy); the view dies with `bytes`' storage.
inline std::string_view AsChars(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace xks
