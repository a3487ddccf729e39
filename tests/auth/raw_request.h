#pragma once
// Test helper: turns the raw HTTP request text of the reference vectors (and bytes captured from
// curl) into an xks::HttpRequest, the way the server's parser would: request line, headers with
// optional whitespace trimmed and obsolete line folding kept (the canonicaliser collapses it), then
// the body verbatim. Accepts LF or CRLF line ends. Not for production use.

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "proxy/common/http_message.h"

namespace xks::auth::testing {

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Parses `raw`. The request-target is everything between the first and the last space of the
/// request line, so the suite's literal-space path ("/example space/") survives.
inline HttpRequest ParseRawRequest(std::string_view raw) {
  HttpRequest request;
  std::size_t pos = 0;
  bool first = true;
  while (pos < raw.size()) {
    std::size_t eol = raw.find('\n', pos);
    if (eol == std::string_view::npos) eol = raw.size();
    std::string_view line = raw.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      const std::size_t sp1 = line.find(' ');
      const std::size_t sp2 = line.rfind(' ');
      request.method = std::string(line.substr(0, sp1));
      request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
      continue;
    }
    if (line.empty()) {
      if (pos < raw.size()) request.body = std::string(raw.substr(pos));
      break;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !request.headers.empty()) {
      request.headers.back().value.append("\n").append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    request.headers.push_back(
        {std::string(line.substr(0, colon)), std::string(TrimOws(line.substr(colon + 1)))});
  }
  return request;
}

}  // namespace xks::auth::testing
