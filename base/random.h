#pragma once
// Random bytes from the OpenSSL CSPRNG (RAND_bytes), with its result always checked.
// Thread-safe (OpenSSL's default RNG is), never throws (std::bad_alloc aside).

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/secret_bytes.h"

namespace xks {

/// Fills `out` with random bytes. False when the CSPRNG fails (then `out` must not be used).
[[nodiscard]] bool FillRandom(std::span<std::uint8_t> out);

/// `n` random bytes in a zeroizing buffer. A CSPRNG failure aborts the process: for callers to
/// which a missing random source is a broken install, not a condition to report (a caller that
/// must report it uses FillRandom).
SecretBytes RandomBytes(std::size_t n);

}  // namespace xks
