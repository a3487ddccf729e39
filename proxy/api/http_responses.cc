#include "proxy/api/http_responses.h"

#include "proxy/common/error_body.h"

namespace xks::api {

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse ErrorResponse(const Error& error) {
  return ::xks::ErrorResponse(error, HttpStatus(error.name));
}

}  // namespace xks::api
