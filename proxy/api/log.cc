#include "proxy/api/log.h"

#include "base/hex.h"
#include "proxy/common/log.h"

namespace xks::api {

std::string_view LogLevelName(LogLevel level) {
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

namespace {

xks::LogLevel ToCommonLevel(LogLevel level) {
  xks::LogLevel common = xks::LogLevel::kInfo;
  switch (level) {
    case LogLevel::kDebug:
      common = xks::LogLevel::kDebug;
      break;
    case LogLevel::kInfo:
      common = xks::LogLevel::kInfo;
      break;
    case LogLevel::kWarning:
      common = xks::LogLevel::kWarning;
      break;
    case LogLevel::kError:
      common = xks::LogLevel::kError;
      break;
  }
  return common;
}

}  // namespace

void CommonLogger::Log(LogLevel level, std::string_view line) {
  xks::Log(ToCommonLevel(level), "api", line);
}

void CommonLogger::LogJson(LogLevel level, std::string_view members) {
  xks::LogJsonMembers(ToCommonLevel(level), "api", members);
}

Logger& DefaultLogger() {
  static CommonLogger* logger = new CommonLogger();  // never destroyed: usable during exit
  return *logger;
}

std::string_view LoggableToken(std::string_view value, std::size_t limit) {
  if (value.empty() || value.size() > limit) return "-";
  for (char c : value) {
    if (c <= 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '=') return "-";
  }
  return value;
}

std::string EscapeLogValue(std::string_view value, std::size_t max_bytes) {
  if (value == "-") return "%2D";
  const bool cut = value.size() > max_bytes;
  if (cut) value = value.substr(0, max_bytes);
  std::string out;
  out.reserve(value.size() + 1);
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool safe = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                      byte == ':' || byte == '/' || byte == '@' || byte == '+';
    if (safe) {
      out += c;
    } else {
      out += '%';
      AppendHexByte(out, byte, /*upper=*/true);
    }
  }
  if (cut) out += '~';
  return out;
}

std::string EscapeLogDetail(std::string_view text, std::size_t max_bytes) {
  const bool cut = text.size() > max_bytes;
  if (cut) text = text.substr(0, max_bytes);
  std::string out;
  out.reserve(text.size() + 1);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\' && c != '=' && c != '~';
    if (plain) {
      out += c;
    } else {
      out += "\\x";
      AppendHexByte(out, byte);
    }
  }
  if (cut) out += '~';
  return out;
}

}  // namespace xks::api
