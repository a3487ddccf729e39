#pragma once
// The response shapes of the XKS API: a JSON body (200), Encrypt's and Decrypt's answers written
// directly, and the spec's error body.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "proxy/api/key_backend.h"
#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks::api {

/// `status`, Content-Type application/json and `body` compact (invalid UTF-8 replaced).
HttpResponse JsonResponse(int status, const nlohmann::json& body);

/// Encrypt's 200 answer, its members in the order JsonResponse gives them (sorted), written
/// straight into the body: each value is Base64. An empty `cdiv_base64` leaves
/// ciphertextDataIntegrityValue out.
HttpResponse EncryptResponse(const SealedData& sealed, std::span<const std::uint8_t> metadata,
                             std::string_view cdiv_base64);

/// Decrypt's 200 answer {"plaintext": "<Base64>"}, built without intermediate copies and marked
/// sensitive_body so the server wipes it once written (docs/operations.md, "Security").
HttpResponse PlaintextResponse(std::span<const std::uint8_t> plaintext);

/// The spec's error answer for `error`: HttpStatus(error.name) and the common error body.
HttpResponse ErrorResponse(const Error& error);

}  // namespace xks::api
