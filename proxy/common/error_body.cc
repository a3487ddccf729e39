#include "proxy/common/error_body.h"

#include <algorithm>

namespace xks {
namespace {

// After SanitizeErrorMessage only printable ASCII is left, so quote and backslash are the only
// characters JSON needs escaped.
void AppendJsonString(std::string& out, std::string_view printable_ascii) {
  out.push_back('"');
  for (const char c : printable_ascii) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string SanitizeErrorMessage(std::string_view message) {
  std::string out;
  out.reserve(std::min(message.size(), kMaxErrorMessageChars));
  for (const char c : message) {
    if (out.size() == kMaxErrorMessageChars) break;
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  }
  return out;
}

std::string ErrorBodyJson(const Error& error) {
  std::string out = "{\"errorName\":";
  AppendJsonString(out, ErrorNameString(error.name));  // a fixed ASCII spelling
  out.append(",\"errorMessage\":");
  AppendJsonString(out, SanitizeErrorMessage(error.message));
  out.push_back('}');
  return out;
}

HttpResponse ErrorResponse(const Error& error, int http_status, bool close_connection) {
  HttpResponse response;
  response.status = http_status;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = ErrorBodyJson(error);
  response.close_connection = close_connection;
  return response;
}

}  // namespace xks
