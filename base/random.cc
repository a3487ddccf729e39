#include "base/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace xks {

bool FillRandom(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int; fill in chunks so a huge span cannot overflow the count.
  while (!out.empty()) {
    const std::size_t chunk = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) return false;
    out = out.subspan(chunk);
  }
  return true;
}

SecretBytes RandomBytes(std::size_t n) {
  SecretBytes out(n);
  if (!FillRandom(out.mutable_span())) {
    std::fprintf(stderr, "fatal: OpenSSL RAND_bytes failed\n");
    std::abort();
  }
  return out;
}

}  // namespace xks
