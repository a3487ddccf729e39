#include "proxy/metrics/family.h"

namespace xks::metrics {

std::uint64_t HashLabelValues(std::initializer_list<std::string_view> values) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ull;
  };
  for (std::string_view v : values) {
    for (const char c : v) mix(static_cast<unsigned char>(c));
    mix(0xff);  // never in UTF-8 text: ("ab","c") and ("a","bc") differ
  }
  return hash;
}

}  // namespace xks::metrics
