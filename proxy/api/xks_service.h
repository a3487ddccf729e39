#pragma once
// The XKS Proxy API v1 request logic: route -> method -> authenticate -> parse/validate -> key
// lookup -> key state/usage -> HSM -> audit -> response. A plain function of the request, testable
// without sockets.
//
// Every request that authenticated produces exactly one AuditEvent through AuditSink::AppendAsync
// before it is answered; if that append fails for a key operation that succeeded, the answer is
// 500 InternalException instead (fail closed). A request that did not authenticate (404 on
// unknown paths, 405, 401) can only be refused; its record is queued without waiting for the disk
// (AuditSink::AppendNoWait), through the RefusalAggregator when one is configured (which may count
// it into a summary instead). The one exception is the load-balancer ping path (GET/HEAD
// server.ping_path), answered 200 without audit.
//
// Each request takes one TenantRegistry snapshot at its start and uses only that; API limits, the
// HSM time budget and the ping path come from that snapshot's configuration, so a reload applies to
// whole requests only.
//
// This unit is the glue: routing, method, authentication and the audit/access-log finish. The
// stages live in their own units: request_body.h (media type, JSON, requestMetadata),
// operations.h (one file per operation), key_version.h (the shared key preamble),
// key_attribute_cache.h, backend_errors.h (HSM failure → client error), access_log.h.
//
// Thread safety: Handle and HandleAsync may be called concurrently from any number of worker
// threads. Never throws.

#include <functional>
#include <memory>
#include <string>

#include "proxy/api/auth_failure_tracker.h"
#include "proxy/api/deadline_watch.h"
#include "proxy/api/fleet_router.h"
#include "proxy/api/health_monitor.h"
#include "proxy/api/key_attribute_cache.h"
#include "proxy/api/key_backend.h"
#include "proxy/api/log.h"
#include "proxy/api/request_authenticator.h"
#include "proxy/api/tenant_quotas.h"
#include "proxy/audit/audit_sink.h"
#include "proxy/audit/refusal_aggregator.h"
#include "proxy/common/http_message.h"
#include "proxy/metrics/proxy_metrics.h"
#include "proxy/tenant/tenant_registry.h"

namespace xks::api {

/// Returns the current configuration snapshot (e.g. RegistryHolder::Current); never null.
using RegistryProvider = std::function<std::shared_ptr<const tenant::TenantRegistry>()>;

struct RequestContext;  // request_context.h

struct XksServiceOptions {
  std::string proxy_vendor = "xks-hsm-proxy";       ///< xksProxyVendor
  std::string proxy_model = "xks-hsm-proxy 0.1.0";  ///< xksProxyModel (product and version)
  SteadyClock clock = RealSteadyClock();            ///< latencies, deadlines, attribute cache
  Logger* logger = nullptr;                         ///< null: DefaultLogger()
  /// Where refusals of unauthenticated requests go; null: each is queued individually.
  audit::RefusalAggregator* refusals = nullptr;
  /// How long an address that failed SigV4 with a valid access key id loses LikelyAuthentic.
  AuthFailureTrackerOptions auth_failures;
  /// How long past its deadline a key operation still in the HSM (or queued for it) is answered
  /// 503 DependencyTimeoutException without it: enough for the HSM layer's own timeout answer
  /// to come first, and with the watch's tick still well inside KMS's 250 ms.
  std::chrono::milliseconds deadline_grace{15};
  /// A fleet member with attempts in flight and none ended for this long is passed over (a hung
  /// HSM), until one ends (FleetRouter): a quarter of the default 200 ms budget, far above the
  /// milliseconds an HSM takes per call, far below the three deadlines health needs to notice.
  std::chrono::milliseconds member_stall_after{50};
  /// Counts every answered request (tenant, operation, errorName, latencies); null: none.
  metrics::ProxyMetrics* metrics = nullptr;
  /// Watch deadlines on a thread of the service's own; false: only AnswerRequestsPastDeadline
  /// (tests that drive the clock by hand).
  bool watch_deadlines_in_background = true;
};

class XksService {
 public:
  /// All references must outlive the service.
  XksService(RegistryProvider registry, KeyBackend& backend, RequestAuthenticator& authenticator,
             audit::AuditSink& audit, HealthMonitor& health, XksServiceOptions options);

  /// Completes one request with its response; called exactly once, from any thread.
  using Respond = std::function<void(HttpResponse)>;

  /// Answers one request. Errors are answered with the spec's status and a compact JSON body
  /// {"errorName","errorMessage"}; 405 carries "Allow: POST". Routing, authentication and the
  /// body run on the calling thread; a key operation then runs where its tenant's token may
  /// block (KeyBackend::Schedule), so the caller never waits on the HSM. An authenticated
  /// request's answer waits for its audit record (AuditSink::AppendAsync): `respond` is called by
  /// the group commit that makes the record durable, so no thread waits for the flush. Refusals
  /// before authentication are queued without waiting, and answered on the calling thread.
  void HandleAsync(const HttpRequest& request, Respond respond);

  /// HandleAsync, waiting for the response on the calling thread (tests, tools).
  HttpResponse Handle(const HttpRequest& request);

  /// A cheap guess, before any work is queued, whether `request` will authenticate: true when its
  /// connection already authenticated, or when its path routes to a tenant, the access key id it
  /// presents (Authorization parsed, no cryptography) is one of that tenant's credentials, and its
  /// source address has not recently failed SigV4 with such an id. No HSM, no SigV4 computation,
  /// no disk, no waiting beyond two short mutexes: safe on I/O threads. Thread-safe.
  bool LikelyAuthentic(const HttpRequest& request) const;

  /// Answers now every key operation past its deadline plus the grace that has no answer yet
  /// (the background watch does this every 10 ms). Returns how many it answered or found
  /// answered. For tests with a hand-driven clock.
  std::size_t AnswerRequestsPastDeadline() { return deadline_watch_.ExpireDue(); }

  /// The quotas' state (in-flight counts), for tests and diagnostics.
  const TenantQuotas& quotas() const { return quotas_; }

 private:
  // Route, method, authentication and body: everything before the operation, on the caller.
  ProxyResult<void> Prepare(const HttpRequest& request, RequestContext& ctx);
  ProxyResult<void> Authenticate(const HttpRequest& request, RequestContext& ctx);
  ProxyResult<HttpResponse> RunOperation(RequestContext& ctx);
  // The tenant's quota and the server's HSM cap: a slot in ctx.hsm_slot, or ThrottlingException.
  ProxyResult<void> AdmitUnderQuota(RequestContext& ctx);
  // Schedules the attempt on ctx.member (KeyBackend::Schedule).
  void ScheduleOnMember(std::shared_ptr<RequestContext> ctx);
  // The DeadlineWatch's handler: 503 for a key operation still without an answer.
  void AnswerPastDeadline(std::shared_ptr<RequestContext> ctx);
  // Whether a failed attempt is retried once on another member of the tenant's fleet.
  bool ShouldTryAnotherMember(const RequestContext& ctx, const Error& error) const;
  // Runs the scheduled operation if `admitted` (else answers its error); then either one more
  // attempt on another member, or Finish (unless the DeadlineWatch answered first).
  void RunAndFinish(std::shared_ptr<RequestContext> ctx, ProxyResult<void> admitted);
  // The response for `result`, with the audit event's result and status filled in.
  HttpResponse Conclude(RequestContext& ctx, ProxyResult<HttpResponse> result);
  // Records the outcome (audit, access log) and responds, at once or once the record is durable.
  void Finish(std::shared_ptr<RequestContext> ctx, HttpResponse response, Respond respond);
  // The access log line, after the audit outcome is known.
  void Log(const RequestContext& ctx, int status, bool audit_failed);
  void RecordRefusal(const audit::AuditEvent& event);

  const RegistryProvider registry_;
  KeyBackend& backend_;
  RequestAuthenticator& authenticator_;
  audit::AuditSink& audit_;
  HealthMonitor& health_;
  const XksServiceOptions options_;
  Logger& logger_;
  AuthFailureTracker auth_failures_;
  KeyAttributeCache attribute_cache_;
  FleetRouter fleet_router_;
  TenantQuotas quotas_;
  // Last: its thread calls into the members above, so it stops first.
  DeadlineWatch deadline_watch_;
};

}  // namespace xks::api
