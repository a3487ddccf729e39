#include "proxy/common/error_body.h"

#include <algorithm>

#include "proxy/common/log.h"  // AppendJsonString

namespace xks {

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
