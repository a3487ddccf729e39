#include "proxy/api/xks_service.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <utility>

#include "proxy/api/access_log.h"
#include "proxy/api/audit_metadata.h"
#include "proxy/api/backend_errors.h"
#include "proxy/api/http_responses.h"
#include "proxy/api/operations.h"
#include "proxy/api/policy_check.h"
#include "proxy/api/request_body.h"
#include "proxy/api/request_context.h"
#include "proxy/api/router.h"
#include "proxy/common/log.h"

namespace xks::api {
namespace {

using Clock = std::chrono::steady_clock;

// Spec: "the total URI length MUST NOT exceed 256 characters". We only see the request-target,
// which is shorter than the full URI, so anything longer cannot be a URI KMS was configured with.
constexpr std::size_t kMaxTargetLength = 256;

constexpr std::string_view kAuthenticationFailedMessage =
    "The request signature could not be verified.";

std::chrono::microseconds Micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

// Path → tenant → operation and key id, filling the audit event as each is known.
// Errors: kInvalidUriPath (too long, no XKS path, unknown tenant prefix, invalid key id).
ProxyResult<void> RouteRequest(const HttpRequest& request, std::string_view path,
                               RequestContext& ctx) {
  if (request.target.size() > kMaxTargetLength) {
    return Fail(
        MakeError(ErrorName::kInvalidUriPath, "The request URI is longer than 256 characters."));
  }
  auto route = ParseXksPath(path);
  const tenant::Tenant* tenant =
      route ? ctx.registry->FindByPathPrefix(route->path_prefix) : nullptr;
  if (tenant == nullptr) {
    return Fail(MakeError(ErrorName::kInvalidUriPath, "The URI path is not a valid XKS API path."));
  }
  ctx.route = *route;
  ctx.tenant = tenant;
  ctx.key_operation = route->operation != Operation::kGetHealthStatus;
  ctx.event.operation = std::string(OperationName(route->operation));
  ctx.event.tenant = tenant->name;
  if (config::IsValidExternalKeyId(route->external_key_id)) {
    ctx.event.external_key_id = route->external_key_id;
  } else if (ctx.key_operation) {
    // The key id is part of the URI (spec "API operations"): outside its character set or length
    // the path itself is invalid.
    return Fail(MakeError(ErrorName::kInvalidUriPath,
                          "The URI path is not a valid XKS API path: externalKeyId must be 1 to "
                          "128 characters of A-Z a-z 0-9 - . _"));
  }
  return {};
}

}  // namespace

XksService::XksService(RegistryProvider registry, KeyBackend& backend,
                       RequestAuthenticator& authenticator, audit::AuditSink& audit,
                       HealthMonitor& health, XksServiceOptions options)
    : registry_(std::move(registry)),
      backend_(backend),
      authenticator_(authenticator),
      audit_(audit),
      health_(health),
      options_(std::move(options)),
      logger_(options_.logger != nullptr ? *options_.logger : DefaultLogger()),
      auth_failures_(options_.auth_failures, options_.clock),
      fleet_router_(health, options_.clock, options_.member_stall_after),
      quotas_(options_.clock),
      deadline_watch_(
          options_.clock,
          [this](std::shared_ptr<void> ctx) {
            AnswerPastDeadline(std::static_pointer_cast<RequestContext>(std::move(ctx)));
          },
          DeadlineWatch::Options{.start_thread = options_.watch_deadlines_in_background}) {}

HttpResponse XksService::Handle(const HttpRequest& request) {
  std::promise<HttpResponse> answered;
  std::future<HttpResponse> response = answered.get_future();
  HandleAsync(request, [&answered](HttpResponse r) { answered.set_value(std::move(r)); });
  return response.get();
}

void XksService::HandleAsync(const HttpRequest& request, Respond respond) {
  auto shared = std::make_shared<RequestContext>();
  RequestContext& ctx = *shared;
  ctx.start = options_.clock();
  ctx.registry = registry_();
  if (!ctx.registry) {
    // The provider's contract is a non-null snapshot; without one nothing can be routed or audited.
    std::fprintf(stderr, "fatal: XksService registry provider returned null\n");
    std::abort();
  }
  const config::Config& config = ctx.registry->config();
  const Clock::time_point base =
      request.received_at == Clock::time_point{} ? ctx.start : request.received_at;
  ctx.deadline = base + config.server.hsm_time_budget;
  ctx.limits = RequestLimits{config.api.max_plaintext_bytes, config.api.max_ciphertext_bytes,
                             config.api.max_aad_bytes, config.api.max_arn_chars};
  audit::AuditEvent& ev = ctx.event;
  ev.kind = audit::AuditEvent::Kind::kRequest;
  ev.operation = "Unknown";
  DescribeRequestForAudit(request, authenticator_.PresentedAccessKeyId(request), ev);

  auto prepared = Prepare(request, ctx);
  // Quotas apply to key operations only: GetHealthStatus never reaches the HSM (it reads the
  // monitor's cache), and KMS polls it, so a tenant's own encrypt burst must never make its key
  // store look unhealthy.
  if (prepared.ok() && ctx.key_operation) prepared = AdmitUnderQuota(ctx);
  if (!prepared.ok() || !ctx.key_operation) {
    // Refused before the operation, or GetHealthStatus (which never waits on the HSM).
    HttpResponse response =
        Conclude(ctx, prepared.ok() ? RunOperation(ctx) : Fail(std::move(prepared).error()));
    return Finish(std::move(shared), std::move(response), std::move(respond));
  }
  // From here on only `ctx` is used: the request may be gone once this returns.
  ctx.respond = std::move(respond);
  ctx.event_when_scheduled = ctx.event;
  deadline_watch_.Add(ctx.deadline + options_.deadline_grace, shared);
  ctx.member = fleet_router_.Pick(ctx.tenant->token_ids);
  ScheduleOnMember(std::move(shared));
}

ProxyResult<void> XksService::AdmitUnderQuota(RequestContext& ctx) {
  auto slot = quotas_.Admit(ctx.tenant->name, ctx.tenant->quota,
                            ctx.registry->config().server.max_concurrent_hsm);
  if (!slot.ok()) {
    // At once, never queued: waiting would only hold the HSM capacity the limit protects.
    return Fail(MakeError(ErrorName::kThrottling,
                          "Too many requests: a quota of the proxy is exhausted; retry later.",
                          std::move(slot).error()));
  }
  ctx.hsm_slot = std::move(slot).value();
  return {};
}

void XksService::ScheduleOnMember(std::shared_ptr<RequestContext> shared) {
  RequestContext& ctx = *shared;
  const std::vector<std::string>& members = ctx.tenant->token_ids;
  const auto at = std::find(members.begin(), members.end(), ctx.member.token_id());
  ctx.member_index.store(static_cast<int>(at - members.begin()), std::memory_order_release);
  const std::string& token_id = ctx.member.token_id();
  const Deadline deadline = ctx.deadline;
  backend_.Schedule(token_id, deadline,
                    [this, shared = std::move(shared)](ProxyResult<void> admitted) mutable {
                      RunAndFinish(std::move(shared), std::move(admitted));
                    });
}

void XksService::AnswerPastDeadline(std::shared_ptr<RequestContext> shared) {
  RequestContext& ctx = *shared;
  if (ctx.answered.exchange(true)) return;  // answered in time after all
  // What a live request met: the member did not answer in time (a hung or saturated HSM). Its
  // work still holds the call, so HealthReportingBackend will not see this for as long as the
  // hang lasts; health must, within the budget.
  const int index = ctx.member_index.load(std::memory_order_acquire);
  if (index >= 0 && static_cast<std::size_t>(index) < ctx.tenant->token_ids.size()) {
    health_.NoteOutcome(ctx.tenant->token_ids[static_cast<std::size_t>(index)],
                        HsmOutcome::kHsmFailure);
  }
  // A context of its own: the operation may still be writing `ctx` on a token thread.
  auto late = std::make_shared<RequestContext>();
  late->registry = ctx.registry;
  late->tenant = ctx.tenant;
  late->route = ctx.route;
  late->key_operation = ctx.key_operation;
  late->start = ctx.start;
  late->deadline = ctx.deadline;
  late->kms_request_id = ctx.kms_request_id;
  late->authenticated = ctx.authenticated;
  late->event = std::move(*ctx.event_when_scheduled);
  HttpResponse response =
      Conclude(*late, Fail(HsmFailure(ErrorName::kDependencyTimeout,
                                      "no answer from the HSM by the deadline: the work is "
                                      "still queued for the token or inside a PKCS#11 call")));
  Finish(std::move(late), std::move(response), std::move(ctx.respond));
}

namespace {

// A failure that was the member's (an HSM-side error, a stuck or full token), not the request's:
// KeyNotFound, InvalidCiphertext, ... would fail on every member alike.
bool IsMembersFailure(const Error& error) {
  return error.name == ErrorName::kDependencyTimeout || error.name == ErrorName::kInternal ||
         error.name == ErrorName::kThrottling;
}

}  // namespace

bool XksService::ShouldTryAnotherMember(const RequestContext& ctx, const Error& error) const {
  // Once, on a fleet, after a member's failure, while the budget lasts.
  return IsMembersFailure(error) && ctx.failed_member.empty() && ctx.tenant->token_ids.size() > 1 &&
         options_.clock() < ctx.deadline;
}

void XksService::RunAndFinish(std::shared_ptr<RequestContext> shared, ProxyResult<void> admitted) {
  RequestContext& ctx = *shared;
  ProxyResult<HttpResponse> result =
      admitted.ok() ? RunOperation(ctx) : Fail(std::move(admitted).error());
  if (result.ok() || !IsMembersFailure(result.error())) ctx.member.NoteAnswered();
  if (!result.ok() && ShouldTryAnotherMember(ctx, result.error())) {
    // Only to a member that can serve: a retry queued behind a hung member's stuck calls would
    // turn an immediate answer into a 503 at the deadline.
    if (auto other = fleet_router_.PickUsable(ctx.tenant->token_ids, ctx.member.token_id())) {
      ctx.failed_member = ctx.member.token_id();
      ctx.retry_detail = ctx.failed_member + ": " +
                         std::string(ErrorNameString(result.error().name)) + " (" +
                         result.error().log_detail + ")";
      ctx.member = std::move(*other);
      ScheduleOnMember(std::move(shared));
      return;
    }
  }
  ctx.member = {};  // the attempt is over: it no longer counts in flight
  // The HSM work is really over (also when the DeadlineWatch answered it long ago): only now
  // may another operation take its place under the caps.
  ctx.hsm_slot.Release();
  if (ctx.answered.exchange(true)) {
    // The DeadlineWatch answered 503 (and audited it) while this waited for the HSM.
    logger_.Log(
        LogLevel::kWarning,
        "api late HSM result dropped kmsRequestId=" + ctx.kms_request_id.value_or("-") +
            " result=" + std::string(result.ok() ? "OK" : ErrorNameString(result.error().name)) +
            ": the request was answered DependencyTimeoutException at "
            "its deadline");
    return;
  }
  HttpResponse response = Conclude(ctx, std::move(result));
  Finish(std::move(shared), std::move(response), std::move(ctx.respond));
}

bool XksService::LikelyAuthentic(const HttpRequest& request) const {
  if (request.connection.authenticated) return true;
  if (request.target.size() > kMaxTargetLength) return false;
  const auto route = ParseXksPath(PathOfTarget(request.target));
  if (!route) return false;
  const auto registry = registry_();
  const tenant::Tenant* tenant =
      registry ? registry->FindByPathPrefix(route->path_prefix) : nullptr;
  if (tenant == nullptr) return false;
  const auto presented = authenticator_.PresentedAccessKeyId(request);
  if (!presented || !tenant->HasAccessKeyId(*presented)) return false;
  return !auth_failures_.RecentlyFailed(audit::SourceAddress(request.connection.peer_address));
}

HttpResponse XksService::Conclude(RequestContext& ctx, ProxyResult<HttpResponse> result) {
  audit::AuditEvent& ev = ctx.event;
  if (result.ok()) {
    ev.result = "OK";
    ev.http_status = result->status;
    return std::move(result).value();
  }
  const Error& error = result.error();
  ctx.log_detail = error.log_detail;
  if (!ctx.retry_detail.empty()) {
    ctx.log_detail = "after failing on " + ctx.retry_detail + ": " + ctx.log_detail;
  }
  ev.result = std::string(ErrorNameString(error.name));
  ev.http_status = HttpStatus(error.name);
  return ErrorResponse(error);
}

ProxyResult<void> XksService::Prepare(const HttpRequest& request, RequestContext& ctx) {
  const std::string_view path = PathOfTarget(request.target);
  // No ping branch here: the server answers the load balancer's ping on its I/O thread
  // (proxy/common/ping.h), so a ping never reaches a worker.
  if (auto routed = RouteRequest(request, path, ctx); !routed.ok()) {
    return Fail(std::move(routed).error());
  }
  if (request.method != "POST") {
    ctx.method_not_allowed = true;  // Finish turns the status into 405
    return Fail(MakeError(ErrorName::kUnsupportedOperation,
                          "Method not allowed: XKS API operations accept only POST."));
  }
  if (auto caller = Authenticate(request, ctx); !caller.ok()) {
    return Fail(std::move(caller).error());
  }
  if (auto body = ReadRequestBody(request, ctx); !body.ok()) {
    return Fail(std::move(body).error());
  }
  return CheckTenantPolicy(ctx);  // the customer's own authorization; never for health
}

ProxyResult<void> XksService::Authenticate(const HttpRequest& request, RequestContext& ctx) {
  const tenant::Tenant& tenant = *ctx.tenant;
  auto caller = authenticator_.Authenticate(request, tenant.name);
  if (!caller.ok()) {
    // Only a failure with one of this tenant's own access key ids is remembered: those are the
    // requests LikelyAuthentic would otherwise trust (without a valid id it never does).
    if (tenant.HasAccessKeyId(ctx.event.access_key_id)) {
      auth_failures_.NoteFailure(audit::SourceAddress(request.connection.peer_address));
    }
    Error e = std::move(caller).error();
    e.name = ErrorName::kAuthenticationFailed;  // whatever the verifier said, the client sees 401
    e.message = std::string(kAuthenticationFailedMessage);
    return Fail(std::move(e));
  }
  // Defence in depth: the verifier must only accept this tenant's credentials.
  if (!tenant.HasAccessKeyId(caller->access_key_id)) {
    return Fail(MakeError(ErrorName::kAuthenticationFailed,
                          std::string(kAuthenticationFailedMessage),
                          "authenticator accepted an access key id of another tenant"));
  }
  ctx.event.access_key_id = caller->access_key_id;
  ctx.authenticated = true;
  return {};
}

ProxyResult<HttpResponse> XksService::RunOperation(RequestContext& ctx) {
  OperationEnv env{backend_,
                   attribute_cache_,
                   health_,
                   audit_,
                   options_.clock,
                   options_.proxy_vendor,
                   options_.proxy_model};
  switch (ctx.route.operation) {
    case Operation::kGetHealthStatus:
      return RunGetHealthStatus(ctx, env);
    case Operation::kGetKeyMetadata:
      return RunGetKeyMetadata(ctx, env);
    case Operation::kEncrypt:
      return RunEncrypt(ctx, env);
    case Operation::kDecrypt:
      return RunDecrypt(ctx, env);
  }
  return Fail(MakeError(ErrorName::kInternal, "Internal error."));
}

void XksService::Finish(std::shared_ptr<RequestContext> shared, HttpResponse response,
                        Respond respond) {
  RequestContext& ctx = *shared;
  audit::AuditEvent& ev = ctx.event;
  // The one status the errorName table cannot express: 405 for a valid path with another method
  // (spec "API operations": MUST reject with 405). The body keeps a spec errorName.
  if (ctx.method_not_allowed) {
    response.status = 405;
    response.headers.push_back({"Allow", "POST"});
    ev.http_status = 405;
  }
  ev.hsm_latency = Micros(ctx.hsm_time);
  ev.total_latency = Micros(options_.clock() - ctx.start);
  response.authenticated = ctx.authenticated;

  if (!ctx.authenticated) {
    // Nothing but a refusal can happen before authentication, and no key material waits on its
    // record: queue it, so a flood of unsigned requests never holds a worker for a disk flush.
    RecordRefusal(ev);
    Log(ctx, response.status, false);
    respond(std::move(response));
    return;
  }
  const audit::AuditEvent& event = ctx.event;
  audit_.AppendAsync(
      event, [this, shared = std::move(shared), response = std::move(response),
              respond = std::move(respond)](ProxyResult<std::uint64_t> appended) mutable {
        // On the audit log's completion thread (or this one). The log line goes first: whoever
        // sees the answer (an operator, a test) finds its line already written.
        const bool audit_failed = !appended.ok();
        if (audit_failed) {
          // Fail closed: no key material result leaves without its audit record.
          if (shared->key_operation && response.status == 200) {
            const bool authenticated = response.authenticated;
            response = ErrorResponse(
                appended.error().name == ErrorName::kThrottling
                    ? appended.error()
                    : MakeError(ErrorName::kInternal, "The request could not be audited."));
            response.authenticated = authenticated;
          }
          shared->log_detail = "audit append failed: " + appended.error().log_detail;
        }
        Log(*shared, response.status, audit_failed);
        AfterLogLines([respond = std::move(respond), response = std::move(response)]() mutable {
          respond(std::move(response));
        });
      });
}

void XksService::Log(const RequestContext& ctx, int status, bool audit_failed) {
  const audit::AuditEvent& ev = ctx.event;
  if (options_.metrics != nullptr) {
    options_.metrics->RecordRequest(ev.tenant, ev.operation,
                                    AnsweredErrorName(ev, status, audit_failed), ev.total_latency,
                                    ev.hsm_latency);
  }
  const LogLevel level = AccessLogLevel(status, audit_failed);
  if (CurrentLogFormat() == LogFormat::kJson) {
    logger_.LogJson(level, AccessLogJson(ctx, status, audit_failed));
  } else {
    logger_.Log(level, AccessLogLine(ctx, status, audit_failed));
  }
}

void XksService::RecordRefusal(const audit::AuditEvent& event) {
  if (options_.refusals != nullptr) {
    options_.refusals->Record(event);
  } else {
    audit_.AppendNoWait(event);
  }
}

}  // namespace xks::api
