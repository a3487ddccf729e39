#pragma once
// A minimal line-logger interface for the request path (one line per request at info; never
// payloads, secrets, AAD or key material), injectable so tests can read what would be logged.

#include <cstddef>
#include <string>
#include <string_view>

namespace xks::api {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

std::string_view LogLevelName(LogLevel level);

/// Receives finished log lines. Implementations must be thread-safe and must not block for long.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view line) = 0;
  /// A structured line: `members` are JSON object members, already escaped (AccessLogJson).
  /// Default: Log(level, members).
  virtual void LogJson(LogLevel level, std::string_view members) { Log(level, members); }
};

/// Forwards to the project-wide logger (proxy/common/log.h, component "api"), which stamps the
/// time, applies XKS_LOG_LEVEL and escapes control characters. Thread-safe.
class CommonLogger : public Logger {
 public:
  void Log(LogLevel level, std::string_view line) override;
  /// One JSON object per line (proxy/common/log.h LogJsonMembers), in the process's log format.
  void LogJson(LogLevel level, std::string_view members) override;
};

/// A process-wide CommonLogger, for callers that do not inject one.
Logger& DefaultLogger();

/// `value` written for a key=value field of a log line: every byte outside
/// A-Z a-z 0-9 - . _ : / @ + becomes %XX (upper-case hex, RFC 3986 style), so a client-supplied
/// value can neither end its field, nor start another key=value pair, nor a line, and the original
/// bytes are recovered by percent-decoding. Only the first `max_bytes` bytes are kept; a value cut
/// short ends with "~", which the escaping itself never produces ('~' is %7E). A value of exactly
/// "-" is written %2D, since a bare "-" stands for "absent" in request lines.
std::string EscapeLogValue(std::string_view value, std::size_t max_bytes = 256);

/// Free operator text (an Error's log_detail, which may quote client-supplied bytes: an unknown
/// access key id, a header value) made safe as the last field of a log line: spaces and other
/// printable ASCII stay readable; control characters, DEL, every non-ASCII byte and the
/// characters that could fake a field or an escape (`"`, `\`, `=`, `~`) become \xNN
/// (lower-case hex, as proxy/common/log.cc writes control characters). Only the first
/// `max_bytes` bytes are kept; a cut text ends with "~", which the escaping never produces.
std::string EscapeLogDetail(std::string_view text, std::size_t max_bytes = 512);

/// `value` if it is 1..limit printable ASCII characters without spaces or quotes, else "-":
/// for identifiers taken from requests (kmsRequestId, key id) so a log line cannot be forged or
/// bloated by a client.
std::string_view LoggableToken(std::string_view value, std::size_t limit = 128);

}  // namespace xks::api
