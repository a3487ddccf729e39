#include "proxy/api/key_version.h"

#include "proxy/api/backend_errors.h"

namespace xks::api {

Error TenantDisabled() {
  return MakeError(ErrorName::kInvalidState, "The key store is disabled in the XKS proxy.");
}

// Spec charset first (400), then the tenant's map (404). Only the tenant's own map is consulted.
ProxyResult<const tenant::TenantKey*> LookupKey(const tenant::Tenant& tenant,
                                                const std::string& key_id) {
  if (!config::IsValidExternalKeyId(key_id)) {  // routing refuses these first; kept as a guard
    return Fail(MakeError(ErrorName::kInvalidUriPath,
                          "The URI path is not a valid XKS API path: externalKeyId must be 1 to "
                          "128 characters of A-Z a-z 0-9 - . _"));
  }
  const tenant::TenantKey* key = tenant.FindKey(key_id);
  if (key == nullptr) {
    return Fail(MakeError(ErrorName::kKeyNotFound, "The external key was not found."));
  }
  return key;
}

ProxyResult<const tenant::TenantKey*> UsableKey(const tenant::Tenant& tenant,
                                                const std::string& key_id) {
  if (tenant.disabled) return Fail(TenantDisabled());
  auto key = LookupKey(tenant, key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  if ((*key)->disabled) {
    return Fail(MakeError(ErrorName::kInvalidState, "The external key is disabled."));
  }
  return key;
}

ProxyResult<void> RequireAes256For(const KeyAttributes& a, KeyUse use) {
  const bool encrypt = use == KeyUse::kEncrypt;
  if (a.key_type == "AES" && a.bits == 256 && (encrypt ? a.encrypt : a.decrypt)) return {};
  return Fail(MakeError(ErrorName::kInvalidKeyUsage,
                        encrypt ? "The external key is not an AES-256 key permitted to encrypt."
                                : "The external key is not an AES-256 key permitted to decrypt."));
}

ProxyResult<KeyAttributes> KeyAttributesFor(RequestContext& ctx, OperationEnv& env,
                                            const KeyLocation& key) {
  const auto ttl = ctx.registry->config().api.key_attribute_cache_ttl;
  const auto now = env.clock();
  if (ttl.count() > 0) {
    if (auto cached = env.attribute_cache.Find(key, now)) return *cached;
  }
  auto attrs = env.backend.Describe(key, ctx.deadline);
  ctx.hsm_time += env.clock() - now;
  if (!attrs.ok()) {
    return Fail(ClientErrorForBackendFailure(BackendCall::kDescribe, attrs.error()));
  }
  if (ttl.count() > 0) env.attribute_cache.Store(key, *attrs, now + ttl);
  return attrs;
}

ProxyResult<UsableVersion> PrepareKeyVersion(RequestContext& ctx, OperationEnv& env,
                                             const tenant::KeyVersion& version, KeyUse use) {
  ctx.event.key_label = version.label;
  if (version.retired) {
    return Fail(MakeError(ErrorName::kInvalidState,
                          "The key version that made this ciphertext has been retired."));
  }
  UsableVersion usable{KeyLocation{ctx.member.token_id(), version.label}, {}};
  auto attrs = KeyAttributesFor(ctx, env, usable.location);
  if (!attrs.ok()) return Fail(std::move(attrs).error());
  if (auto allowed = RequireAes256For(*attrs, use); !allowed.ok()) {
    return Fail(std::move(allowed).error());
  }
  usable.attributes = std::move(attrs).value();
  return usable;
}

}  // namespace xks::api
