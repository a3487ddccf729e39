#pragma once
// Helpers shared by the fuzz targets: the input as text, line splitting, and a property check
// that aborts (a finding, for libFuzzer and for the replay tests alike).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace xks::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// `text` cut at every '\n' (the last piece may be empty); no other byte is special.
inline std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string_view::npos;
       nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  lines.push_back(text.substr(start));
  return lines;
}

[[noreturn]] inline void PropertyFailed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", what, file, line);
  std::abort();
}

}  // namespace xks::fuzz

/// A property every input must keep; a violation is a finding like a crash.
#define XKS_FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::xks::fuzz::PropertyFailed(#cond, __FILE__, __LINE__))
