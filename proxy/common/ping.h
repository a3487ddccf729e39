#pragma once
// The load-balancer ping (spec "Load balancer health checks"; `server.ping_path` in
// docs/configuration.md): GET or HEAD on the ping path answers 200 with one fixed JSON body,
// without authentication or audit. The server answers it on its I/O thread; XksService answers
// the same request when it reaches the handler (e.g. with a query string). Both use this one
// answer, so the documented body cannot drift between them.

#include <string_view>

#include "proxy/common/http_message.h"

namespace xks {

/// The ping body, exactly as docs/configuration.md documents it (a test compares the two).
inline constexpr std::string_view kPingBody = R"({"status":"OK"})";

/// True for the methods a ping may use: GET and HEAD (exact, case-sensitive, as HTTP methods are).
bool IsPingMethod(std::string_view method);

/// 200, Content-Type application/json, kPingBody. For HEAD the server drops the body when writing.
HttpResponse PingResponse();

}  // namespace xks
