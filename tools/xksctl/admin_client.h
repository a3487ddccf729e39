#pragma once
// xksctl's side of the proxy's admin socket (proxy/runtime/admin_socket.h, audit.admin_socket):
// one JSON request, one JSON answer. "No proxy runs" (no socket file, or one a crashed proxy left
// that nobody listens on) is an answer of its own, so that callers can fall back to writing the
// audit chain themselves under its lock.
// Thread safety: no shared state.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "proxy/config/audit_config.h"

namespace xks::xksctl {

/// Sends `request` to the proxy writing `audit`'s chain and returns its answer, or nullopt when
/// no proxy listens (socket switched off, absent, or refusing connections). Throws
/// OperationError when a proxy answered but the exchange failed (permission, timeout, garbage).
std::optional<nlohmann::json> AskProxy(const config::AuditConfig& audit,
                                       const nlohmann::json& request);

}  // namespace xks::xksctl
