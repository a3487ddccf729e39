#pragma once
// The requests of the admin socket (admin_socket.h) and what each does, apart from the socket:
//   {"op":"status"}  -> {"ok":true,"status":{...}}: live status of the running proxy
//   {"op":"reload"}  -> {"ok":true} or {"ok":false,"error":...,"problems":[...]}: re-reads the
//                       configuration, exactly like SIGHUP, but the caller learns the result
//   {"op":"record","operation":"tenant.shred","tenant":"T","externalKeyId":"K","details":{...}}
//                    -> {"ok":true,"seq":N,"file":F}: an administrative event of xksctl's, appended
//                       to the proxy's own chain and durable before the answer
// Every failure answers {"ok":false,"error":"..."} naming what was wrong with the request.
// Thread safety: pure apart from the actions, which the caller makes safe.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/problem.h"
#include "base/result.h"

namespace xks::runtime {

/// One administrative event to record (operation names are checked by HandleAdminRequest).
struct AdminEventRequest {
  std::string operation;
  std::string tenant;
  std::string external_key_id;
  nlohmann::json details = nlohmann::json::object();
};

/// What the proxy does for each request.
struct AdminActions {
  std::function<nlohmann::json()> status;
  std::function<Result<void, Problems>()> reload;
  /// Returns {"seq": N, "file": F} once the record is durable, or an error text.
  std::function<Result<nlohmann::json, std::string>(AdminEventRequest)> record;
};

/// Answers one request of the admin socket.
nlohmann::json HandleAdminRequest(const AdminActions& actions, const nlohmann::json& request);

}  // namespace xks::runtime
