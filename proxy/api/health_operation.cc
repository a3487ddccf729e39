#include "proxy/api/http_responses.h"
#include "proxy/api/key_version.h"
#include "proxy/api/operations.h"

namespace xks::api {

ProxyResult<HttpResponse> RunGetHealthStatus(RequestContext& ctx, OperationEnv& env) {
  using nlohmann::json;
  const tenant::Tenant& tenant = *ctx.tenant;
  if (tenant.disabled) return Fail(TenantDisabled());
  HealthStatus status = env.health.Status(tenant.token_id);
  // Fail-closed auditing makes key operations fail while the audit log cannot be written.
  if (status == HealthStatus::kActive && !env.audit.Healthy()) status = HealthStatus::kDegraded;
  const config::ApiConfig& api = ctx.registry->config().api;
  json body = {
      {"xksProxyFleetSize", api.fleet_size},
      {"xksProxyVendor", env.proxy_vendor},
      {"xksProxyModel", env.proxy_model},
      {"ekmVendor", api.ekm_vendor},
      {"ekmFleetDetails", json::array({json{{"id", tenant.token_id},
                                            {"model", env.backend.TokenModel(tenant.token_id)},
                                            {"healthStatus", HealthStatusString(status)}}})}};
  return JsonResponse(200, body);
}

}  // namespace xks::api
