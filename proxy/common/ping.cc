#include "proxy/common/ping.h"

#include <string>

namespace xks {

bool IsPingMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

bool IsPingRequest(std::string_view method, std::string_view target, std::string_view ping_path) {
  if (ping_path.empty() || !IsPingMethod(method)) return false;
  return target.substr(0, target.find('?')) == ping_path;
}

HttpResponse PingResponse() {
  HttpResponse response;
  response.status = 200;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = std::string(kPingBody);
  return response;
}

}  // namespace xks
