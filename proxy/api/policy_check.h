#pragma once
// The policy stage of an authenticated XKS key operation: the tenant's own authorization
// (tenants[].policy; XKS spec, "Authorization") on top of AWS's, decided after the body is parsed
// and before the operation is scheduled on the HSM. Internal to proxy/api; thread-safe as far as
// `ctx` is not shared.

#include "proxy/api/request_context.h"
#include "proxy/common/error.h"

namespace xks::api {

/// Decides ctx.route (GetKeyMetadata, Encrypt or Decrypt; never GetHealthStatus, which the spec
/// keeps free of policy) against ctx.tenant's policy, with the requestMetadata of ctx.body.
/// Records the deciding statement in ctx.event.policy_statement (PolicyDecision::Describe; left
/// empty when the tenant has no policy). Errors: kAccessDenied when an enforced policy denies.
ProxyResult<void> CheckTenantPolicy(RequestContext& ctx);

}  // namespace xks::api
