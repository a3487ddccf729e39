#pragma once
// One structured log line per event on stderr: `2026-11-27T21:30:00.123456Z INFO component
// message`. Never pass plaintext, AAD, PINs, secrets or key material: messages are for operators.
// Thread-safe: lines from different threads never interleave.

#include <string>
#include <string_view>

namespace xks {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// kText: the line above. kJson: one JSON object per line,
/// `{"time":"...","level":"INFO","component":"...","message":"..."}`, every string escaped
/// (quotes, backslashes, control characters and every non-ASCII byte as \u00XX), so no value
/// can end its string or the line.
enum class LogFormat { kText, kJson };

/// Chooses the format of every later line (the configuration's log.format, at start).
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();

/// Appends `text` as a JSON string literal (with its quotes), escaped as kJson lines are.
void AppendJsonString(std::string& out, std::string_view text);

/// In kJson format, writes `{"time":...,"level":...,"component":...,<members>}`: `members` is a
/// sequence of JSON object members the caller made valid and escaped (`"a":1,"b":"x"`). In kText
/// format, writes `members` as the message. Level threshold as Log.
void LogJsonMembers(LogLevel level, std::string_view component, std::string_view members);

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
