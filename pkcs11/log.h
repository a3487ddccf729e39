#pragma once
// Where the PKCS#11 layer's log lines go. Lines name a C_* function and a CK_RV, never arguments,
// PINs, plaintext or key material. Does not include pkcs11.h.

#include <functional>
#include <string_view>

namespace xks::pkcs11 {

/// Receives one complete log line (no trailing newline).
using LogSink = std::function<void(std::string_view line)>;

/// Replaces the sink (the default writes to stderr). Pass nullptr to restore the default.
/// Thread-safe; the sink itself may be called from any thread, concurrently.
void SetLogSink(LogSink sink);

/// Writes one line to the current sink. Thread-safe.
void LogLine(std::string_view line);

}  // namespace xks::pkcs11
