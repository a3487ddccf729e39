#include "proxy/api/http_responses.h"

#include "base/base64.h"
#include "proxy/common/error_body.h"
#include "proxy/common/log.h"

namespace xks::api {

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse EncryptResponse(const SealedData& sealed, std::span<const std::uint8_t> metadata,
                             std::string_view cdiv_base64) {
  HttpResponse r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "application/json"});
  std::string& body = r.body;
  body.reserve(160 + 4 * (sealed.ciphertext.size() + metadata.size()) / 3 + cdiv_base64.size());
  body += R"({"authenticationTag":")";
  body += Base64Encode(sealed.tag);
  body += R"(","ciphertext":")";
  body += Base64Encode(sealed.ciphertext);
  body += '"';
  if (!cdiv_base64.empty()) {
    body += R"(,"ciphertextDataIntegrityValue":)";
    AppendJsonString(body, cdiv_base64);  // Base64 needs no escaping; this keeps it so regardless
  }
  body += R"(,"ciphertextMetadata":")";
  body += Base64Encode(metadata);
  body += R"(","initializationVector":")";
  body += Base64Encode(sealed.iv);
  body += R"("})";
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
