#pragma once
// The load-balancer ping (spec "Load balancer health checks"; `server.ping_path` in
// docs/configuration.md): GET or HEAD on the ping path answers 200 with one fixed JSON body,
// without authentication or audit. Only the server answers it, on its I/O thread, before any
// worker or handler is involved: a load balancer's check must not wait behind queued XKS work.
// XksService has no ping branch; a ping that reached it would be an unknown path like any other.

#include <string_view>

#include "proxy/common/http_message.h"

namespace xks {

/// The ping body, exactly as docs/configuration.md documents it (a test compares the two).
inline constexpr std::string_view kPingBody = R"({"status":"OK"})";

/// True for the methods a ping may use: GET and HEAD (exact, case-sensitive, as HTTP methods are).
bool IsPingMethod(std::string_view method);

/// True when `method` + `target` is a ping for `ping_path`: a ping method, and the target's path
/// (the part before any '?': a checker may add a cache-busting query) equal to `ping_path`.
/// An empty `ping_path` (ping disabled) never matches.
bool IsPingRequest(std::string_view method, std::string_view target, std::string_view ping_path);

/// 200, Content-Type application/json, kPingBody. For HEAD the server drops the body when writing.
HttpResponse PingResponse();

}  // namespace xks
