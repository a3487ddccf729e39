#pragma once
// The four XKS operations (spec "API operations"), one unit each. Each runs after XksService has
// routed, authenticated and parsed the request into `ctx` (ctx.tenant, ctx.route, ctx.body and
// ctx.limits are set) and fills the audit event as it learns things (key label, lengths,
// encrypt_verification). Errors carry the spec's errorName and a fixed message; HSM details go to
// log_detail only. Thread-safe as far as `ctx` is not shared.

#include "proxy/api/request_context.h"
#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks::api {

/// GetHealthStatus: the tenant's token as the HealthMonitor last saw it (DEGRADED while the audit
/// sink is unhealthy). Errors: kInvalidState (tenant disabled). Never waits on the HSM.
ProxyResult<HttpResponse> RunGetHealthStatus(RequestContext& ctx, OperationEnv& env);

/// GetKeyMetadata: keySpec, keyUsage and keyStatus of the key's current version.
/// Errors: kInvalidState (tenant disabled), kKeyNotFound, and the backend's.
ProxyResult<HttpResponse> RunGetKeyMetadata(RequestContext& ctx, OperationEnv& env);

/// Encrypt with the key's current version (AES-256-GCM, HSM AAD per hsm_aad.h), the optional
/// CDIV (Appendix C) and the verifying decrypt api.verify_encrypt asks for.
/// Errors: kValidation, kUnsupportedOperation, kInvalidState, kKeyNotFound, kInvalidKeyUsage,
/// kDependencyTimeout, kInternal.
ProxyResult<HttpResponse> RunEncrypt(RequestContext& ctx, OperationEnv& env);

/// Decrypt with the version named by the ciphertextMetadata, which must be bound to this tenant.
/// Errors: as Encrypt, plus kInvalidCiphertext (one message for every way it can be wrong).
ProxyResult<HttpResponse> RunDecrypt(RequestContext& ctx, OperationEnv& env);

}  // namespace xks::api
