#pragma once
// The one writer of the compact JSON error body the XKS spec defines ("Error codes"):
// {"errorName":"ThrottlingException","errorMessage":"..."}, and the HttpResponse carrying it.
// Both the server (429, 503, framing errors) and the API (every other error) answer with it, so a
// client sees one shape and one sanitising rule whoever refused the request.

#include <string>
#include <string_view>

#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks {

/// Longest errorMessage sent: the spec requires fewer than 512 characters.
inline constexpr std::size_t kMaxErrorMessageChars = 511;

/// `message` made printable ASCII (every other byte, control characters and non-ASCII included,
/// becomes '?') and cut to kMaxErrorMessageChars. Pure function, thread-safe.
std::string SanitizeErrorMessage(std::string_view message);

/// JSON text for `error`: name and SanitizeErrorMessage(message) only; log_detail never leaves
/// the process. Pure function, thread-safe.
std::string ErrorBodyJson(const Error& error);

/// A response with `http_status`, Content-Type application/json and ErrorBodyJson(error).
HttpResponse ErrorResponse(const Error& error, int http_status, bool close_connection = false);

}  // namespace xks
