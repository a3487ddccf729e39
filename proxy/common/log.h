#pragma once
// One structured log line per event on stderr: `2026-11-27T21:30:00.123456Z INFO component
// message`. Never pass plaintext, AAD, PINs, secrets or key material: messages are for operators.
// Thread-safe: lines from different threads never interleave.

#include <functional>
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

/// While one lives on a thread, the lines that thread writes are kept and written together when
/// it ends: one write(2) for a burst of lines rather than one each (the audit completion thread
/// answering a whole group commit). Each write holds whole lines and at most PIPE_BUF bytes (a
/// longer line goes alone), so lines stay whole on a pipe shared with other processes. A batch
/// inside another on the same thread adds nothing: the outer one writes.
class LogBatch {
 public:
  LogBatch();
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;

 private:
  bool outermost_;
};

/// Runs `action` now, or, while a LogBatch lives on this thread, right after the lines written
/// before this call are out: whoever `action` tells (a client getting its answer) finds them
/// already written. Actions run in the order given; they must not throw.
void AfterLogLines(std::function<void()> action);

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
