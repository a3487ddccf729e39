#include "proxy/common/log.h"

#include <limits.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/hex.h"

namespace xks {
namespace {

LogLevel ThresholdFromEnvironment() {
  const char* value = std::getenv("XKS_LOG_LEVEL");
  const std::string_view level = value ? value : "info";
  if (level == "debug") return LogLevel::kDebug;
  if (level == "warning") return LogLevel::kWarning;
  if (level == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

void AppendEscaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      AppendHexByte(out, byte);
    } else {
      out += c;
    }
  }
}

std::atomic<LogFormat> g_format{LogFormat::kText};

bool BelowThreshold(LogLevel level) {
  static const LogLevel threshold = ThresholdFromEnvironment();
  return level < threshold;
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long>(micros));
  return stamp;
}

// One write(2) per call keeps lines whole even across processes sharing the stream.
void WriteWhole(std::string_view text) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) break;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

// What a LogBatch keeps on its thread: lines not yet written, and the actions waiting for them.
struct PendingLines {
  bool active = false;
  std::string text;
  std::vector<std::function<void()>> after;

  // Until nothing is left: an action may write lines (or queue actions) of its own.
  void Flush() {
    while (!text.empty() || !after.empty()) {
      if (!text.empty()) WriteWhole(text);
      text.clear();
      std::vector<std::function<void()>> actions;
      actions.swap(after);
      for (auto& action : actions) action();
    }
  }
};

thread_local PendingLines t_pending;

void WriteLine(std::string& line) {
  line += '\n';
  PendingLines& pending = t_pending;
  if (!pending.active) return WriteWhole(line);
  if (pending.text.size() + line.size() > PIPE_BUF) pending.Flush();
  if (line.size() > PIPE_BUF) return WriteWhole(line);
  pending.text += line;
}

// `{"time":"...","level":"...","component":"...",` : the start of every kJson line.
std::string JsonLineStart(LogLevel level, std::string_view component) {
  std::string line = "{\"time\":\"" + Timestamp() + "\",\"level\":\"" +
                     std::string(LevelName(level)) + "\",\"component\":";
  AppendJsonString(line, component);
  line += ',';
  return line;
}

}  // namespace

void SetLogFormat(LogFormat format) { g_format.store(format, std::memory_order_relaxed); }
LogFormat CurrentLogFormat() { return g_format.load(std::memory_order_relaxed); }

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      // Non-ASCII bytes too: the line stays valid UTF-8 whatever a client sent.
      out += "\\u00";
      AppendHexByte(out, byte);
    } else {
      out += c;
    }
  }
  out += '"';
}

void Log(LogLevel level, std::string_view component, std::string_view message) {
  if (BelowThreshold(level)) return;
  if (CurrentLogFormat() == LogFormat::kJson) {
    std::string line = JsonLineStart(level, component) + "\"message\":";
    AppendJsonString(line, message);
    line += '}';
    WriteLine(line);
    return;
  }
  std::string line = Timestamp();
  line.reserve(64 + message.size());
  line += ' ';
  line += LevelName(level);
  line += ' ';
  AppendEscaped(line, component);
  line += ' ';
  AppendEscaped(line, message);
  WriteLine(line);
}

void LogJsonMembers(LogLevel level, std::string_view component, std::string_view members) {
  if (CurrentLogFormat() != LogFormat::kJson) return Log(level, component, members);
  if (BelowThreshold(level)) return;
  std::string line = JsonLineStart(level, component);
  line += members;
  line += '}';
  WriteLine(line);
}

LogBatch::LogBatch() : outermost_(!t_pending.active) { t_pending.active = true; }

LogBatch::~LogBatch() {
  if (!outermost_) return;
  t_pending.Flush();
  t_pending.active = false;
}

void AfterLogLines(std::function<void()> action) {
  PendingLines& pending = t_pending;
  if (!pending.active) return action();
  pending.after.push_back(std::move(action));
}

}  // namespace xks
