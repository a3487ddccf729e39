#pragma once
// The compact JSON error body the XKS spec defines ("Error codes"):
// {"errorName":"ThrottlingException","errorMessage":"..."}, and the HttpResponse carrying it.

#include <string>

#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks::server {

/// JSON text for `error` (name and message only; log_detail never leaves the process).
/// Pure function, thread-safe. Non-printable and non-ASCII bytes in the message are escaped.
std::string ErrorBodyJson(const Error& error);

/// A response with `http_status`, Content-Type application/json and ErrorBodyJson(error).
HttpResponse ErrorResponse(const Error& error, int http_status, bool close_connection);

}  // namespace xks::server
