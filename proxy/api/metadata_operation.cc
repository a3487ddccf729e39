#include <string>
#include <utility>

#include "proxy/api/http_responses.h"
#include "proxy/api/key_version.h"
#include "proxy/api/operations.h"

namespace xks::api {
namespace {

using nlohmann::json;

std::string KeySpec(const KeyAttributes& a) {
  if (a.key_type == "AES" && a.bits == 256) return "AES_256";
  if (a.bits == 0) return a.key_type.empty() ? "OTHER" : a.key_type;
  return (a.key_type.empty() ? "OTHER" : a.key_type) + "_" + std::to_string(a.bits);
}

json KeyUsage(const KeyAttributes& a) {
  json usage = json::array();
  // Spec allows at most ten values; PKCS#11 gives us at most seven.
  const std::pair<bool, const char*> flags[] = {
      {a.encrypt, "ENCRYPT"}, {a.decrypt, "DECRYPT"}, {a.sign, "SIGN"},    {a.verify, "VERIFY"},
      {a.wrap, "WRAP"},       {a.unwrap, "UNWRAP"},   {a.derive, "DERIVE"}};
  for (const auto& [set, name] : flags) {
    if (set) usage.push_back(name);
  }
  return usage;
}

}  // namespace

ProxyResult<HttpResponse> RunGetKeyMetadata(RequestContext& ctx, OperationEnv& env) {
  const tenant::Tenant& tenant = *ctx.tenant;
  if (tenant.disabled) return Fail(TenantDisabled());
  auto key = LookupKey(tenant, ctx.route.external_key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  const tenant::KeyVersion* version = (*key)->Current();
  ctx.event.key_label = version->label;
  auto attrs = KeyAttributesFor(ctx, env, KeyLocation{ctx.member.token_id(), version->label});
  if (!attrs.ok()) return Fail(std::move(attrs).error());
  json body = {{"keySpec", KeySpec(*attrs)},
               {"keyUsage", KeyUsage(*attrs)},
               {"keyStatus", (*key)->disabled ? "DISABLED" : "ENABLED"}};
  return JsonResponse(200, body);
}

}  // namespace xks::api
