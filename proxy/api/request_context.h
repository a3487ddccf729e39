#pragma once
// What one XKS request carries through its stages (routing, authentication, body, operation,
// audit, access log), and what the four operations share to do their work. Internal to
// proxy/api: XksService builds both; the operation units (operations.h) read and fill them.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/api/fleet_router.h"
#include "proxy/api/health_monitor.h"
#include "proxy/api/key_attribute_cache.h"
#include "proxy/api/key_backend.h"
#include "proxy/api/router.h"
#include "proxy/api/tenant_quotas.h"
#include "proxy/api/wire.h"
#include "proxy/audit/audit_event.h"
#include "proxy/audit/audit_sink.h"
#include "proxy/common/http_message.h"
#include "proxy/tenant/tenant_registry.h"

namespace xks::api {

/// The state of one request. Owned by the thread that handles the request; never shared, except
/// that the DeadlineWatch may answer a scheduled key operation: it then reads only what is set
/// before scheduling (registry, tenant, route, start, deadline, kms_request_id, authenticated,
/// key_operation, event_when_scheduled) and takes `respond` after winning `answered`.
struct RequestContext {
  std::shared_ptr<const tenant::TenantRegistry> registry;  ///< one snapshot for the whole request
  const tenant::Tenant* tenant = nullptr;                  ///< set once the path routed
  Route route;
  bool key_operation = false;  ///< GetKeyMetadata, Encrypt or Decrypt (not health)
  audit::AuditEvent event;
  std::chrono::steady_clock::time_point start;
  Deadline deadline;
  std::chrono::steady_clock::duration hsm_time{};  ///< summed over every backend call
  nlohmann::json body;
  RequestLimits limits;
  std::optional<std::string> kms_request_id;  ///< escaped for the log line (EscapeLogValue)
  std::string log_detail;                     ///< operators only (access log of 401 and 5xx)
  bool authenticated = false;  ///< SigV4 verified with one of the routed tenant's credentials
  bool method_not_allowed = false;
  /// The fleet member (hsm.tokens[].id) the current attempt of a key operation runs on; the
  /// operations address every backend call to it.
  MemberLease member;
  /// The key operation's place under the tenant's and the server's HSM caps: held from
  /// scheduling until its last attempt's HSM work has finished, also when the DeadlineWatch
  /// answered first (the HSM is still busy then).
  HsmSlot hsm_slot;
  std::string failed_member;  ///< the member a first attempt failed on ("" until then)
  std::string retry_detail;   ///< that failure, for the operator's log line
  /// A scheduled key operation is answered once: by its own path, or by the DeadlineWatch when
  /// the deadline passed first (the HSM hangs). Whoever sets this first answers; the other drops
  /// its answer.
  std::atomic<bool> answered{false};
  /// Index in tenant->token_ids of the member the current attempt runs on (-1: none yet): what
  /// the DeadlineWatch blames (`member` itself may be changing on a token thread).
  std::atomic<int> member_index{-1};
  /// The answer's callback while a key operation is scheduled (moved out by whoever answers).
  std::function<void(HttpResponse)> respond;
  /// The audit event as it stood when the key operation was scheduled: what the DeadlineWatch
  /// records, since the operation may still be filling `event` on another thread.
  std::optional<audit::AuditEvent> event_when_scheduled;

  /// The parsed body's plaintext and AAD strings are wiped with the request (a fleet retry
  /// parses them again, so not before).
  ~RequestContext() { WipeSecretFields(body); }
};

/// What the operations use besides the request: the HSM, the attribute cache, health, the clock.
/// All references outlive the request; every member is thread-safe.
struct OperationEnv {
  KeyBackend& backend;
  KeyAttributeCache& attribute_cache;
  HealthMonitor& health;
  const audit::AuditSink& audit;
  const SteadyClock& clock;
  std::string_view proxy_vendor;
  std::string_view proxy_model;
};

/// Runs one backend call and adds its duration to ctx.hsm_time (the audit record's hsm latency).
template <typename Call>
auto TimedHsmCall(RequestContext& ctx, const SteadyClock& clock, Call&& call) {
  const auto t0 = clock();
  auto result = call();
  ctx.hsm_time += clock() - t0;
  return result;
}

}  // namespace xks::api
