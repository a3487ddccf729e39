#include "proxy/common/ping.h"

#include <string>

namespace xks {

bool IsPingMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

HttpResponse PingResponse() {
  HttpResponse response;
  response.status = 200;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = std::string(kPingBody);
  return response;
}

}  // namespace xks
