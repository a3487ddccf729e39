#pragma once
// One structured log line per event on stderr: `2026-11-27T21:30:00.123456Z INFO component
// message`. Never pass plaintext, AAD, PINs, secrets or key material: messages are for operators.
// Thread-safe: lines from different threads never interleave.

#include <string_view>

namespace xks {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// Writes one line if `level` is at or above the process's threshold (env XKS_LOG_LEVEL:
/// debug|info|warning|error; default info). Control characters in `message` are escaped so a
/// request cannot forge log lines.
void Log(LogLevel level, std::string_view component, std::string_view message);

inline void LogInfo(std::string_view component, std::string_view message) {
  Log(LogLevel::kInfo, component, message);
}
inline void LogWarning(std::string_view component, std::string_view message) {
  Log(LogLevel::kWarning, component, message);
}
inline void LogError(std::string_view component, std::string_view message) {
  Log(LogLevel::kError, component, message);
}

}  // namespace xks
