#include "proxy/server/error_body.h"

#include <cstdio>

namespace xks::server {
namespace {

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      // Messages are meant to be ASCII; escaping anything else keeps the body valid JSON whatever
      // a caller puts in.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

}  // namespace

std::string ErrorBodyJson(const Error& error) {
  std::string out = "{\"errorName\":";
  AppendJsonString(out, ErrorNameString(error.name));
  out.append(",\"errorMessage\":");
  AppendJsonString(out, error.message);
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

}  // namespace xks::server
