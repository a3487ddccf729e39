#include "proxy/api/policy_check.h"

#include <string>

namespace xks::api {
namespace {

std::optional<tenant::PolicyOperation> PolicyOperationOf(Operation operation) {
  switch (operation) {
    case Operation::kEncrypt:
      return tenant::PolicyOperation::kEncrypt;
    case Operation::kDecrypt:
      return tenant::PolicyOperation::kDecrypt;
    case Operation::kGetKeyMetadata:
      return tenant::PolicyOperation::kMetadata;
    case Operation::kGetHealthStatus:
      break;
  }
  return std::nullopt;
}

// The request's requestMetadata strings, viewed (ctx.body outlives the evaluation). A field of
// another JSON type counts as absent: it matches no condition.
void FillPolicyFields(const nlohmann::json& body, tenant::PolicyRequest& request) {
  const auto md = body.find("requestMetadata");
  if (md == body.end() || !md->is_object()) return;
  for (std::string_view field : config::kPolicyConditionFields) {
    const auto value = md->find(field);
    if (value != md->end() && value->is_string()) {
      request.SetField(field, value->get_ref<const std::string&>());
    }
  }
}

}  // namespace

ProxyResult<void> CheckTenantPolicy(RequestContext& ctx) {
  const tenant::Policy* policy = ctx.tenant != nullptr ? ctx.tenant->policy.get() : nullptr;
  const auto operation = PolicyOperationOf(ctx.route.operation);
  if (policy == nullptr || !operation) return {};
  tenant::PolicyRequest request;
  request.operation = *operation;
  request.external_key_id = ctx.route.external_key_id;
  FillPolicyFields(ctx.body, request);
  const tenant::PolicyDecision decision = policy->Evaluate(request);
  ctx.event.policy_statement = decision.Describe();
  if (decision.allowed) return {};
  // The client (KMS) learns only that the key store's policy refused; which statement did is the
  // operator's and the audit record's.
  return Fail(MakeError(ErrorName::kAccessDenied,
                        "The request was denied by the external key store's policy.",
                        "policy " + ctx.event.policy_statement));
}

}  // namespace xks::api
