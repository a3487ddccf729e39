#include <vector>

#include "proxy/api/http_responses.h"
#include "proxy/api/key_version.h"
#include "proxy/api/operations.h"

namespace xks::api {

ProxyResult<HttpResponse> RunGetHealthStatus(RequestContext& ctx, OperationEnv& env) {
  using nlohmann::json;
  const tenant::Tenant& tenant = *ctx.tenant;
  if (tenant.disabled) return Fail(TenantDisabled());
  // Fail-closed auditing makes key operations fail while the audit log cannot be written, on
  // every member alike.
  const bool audit_healthy = env.audit.Healthy();
  json details = json::array();
  std::vector<HealthStatus> statuses;
  statuses.reserve(tenant.token_ids.size());
  for (const std::string& member : tenant.token_ids) {
    HealthStatus status = env.health.Status(member);
    if (status == HealthStatus::kActive && !audit_healthy) status = HealthStatus::kDegraded;
    statuses.push_back(status);
    details.push_back({{"id", member},
                       {"model", env.backend.TokenModel(member)},
                       {"healthStatus", HealthStatusString(status)}});
  }
  const config::ApiConfig& api = ctx.registry->config().api;
  json body = {{"xksProxyFleetSize", api.fleet_size},
               {"xksProxyVendor", env.proxy_vendor},
               {"xksProxyModel", env.proxy_model},
               {"ekmVendor", api.ekm_vendor},
               {"ekmFleetDetails", std::move(details)}};
  return JsonResponse(200, body);
}

}  // namespace xks::api
