#include "proxy/api/http_responses.h"

#include "base/base64.h"
#include "proxy/common/error_body.h"

namespace xks::api {

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse PlaintextResponse(std::span<const std::uint8_t> plaintext) {
  static constexpr std::string_view kOpen = R"({"plaintext":")", kClose = R"("})";
  const SecretBytes encoded = Base64EncodeSecret(plaintext);  // wiped when it goes
  HttpResponse r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "application/json"});
  r.sensitive_body = true;
  // One allocation of the final size: no grown-out-of buffer is left behind unwiped.
  r.body.reserve(kOpen.size() + encoded.size() + kClose.size());
  r.body.append(kOpen).append(encoded.view()).append(kClose);
  return r;
}

HttpResponse ErrorResponse(const Error& error) {
  return ::xks::ErrorResponse(error, HttpStatus(error.name));
}

}  // namespace xks::api
