#pragma once
// The body stage of an authenticated XKS request: media type, one strict JSON object, and the
// requestMetadata every operation carries (audited copy, kmsRequestId for the log, validation).
// Internal to proxy/api; thread-safe as far as `ctx` is not shared.

#include <string_view>

#include "proxy/api/request_context.h"
#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks::api {

/// True when the media type of a Content-Type value is application/json (ASCII case-insensitive,
/// parameters such as charset ignored).
bool IsJsonContentType(std::string_view value);

/// Reads `request`'s body into ctx.body: Content-Type absent or JSON, ParseJsonBody, then
/// requestMetadata copied into the audit event (capped) and ctx.kms_request_id (escaped), then
/// ValidateRequestMetadata for ctx.route.operation. Errors: kValidation, kUnsupportedOperation.
ProxyResult<void> ReadRequestBody(const HttpRequest& request, RequestContext& ctx);

}  // namespace xks::api
