#pragma once
// The steps the three key operations share before they touch key material: find the key in the
// routed tenant's own map (which is what keeps tenants apart), refuse disabled tenants and keys,
// read the version's attributes (through the cache) and check it is an AES-256 key allowed to do
// what is asked. Internal to proxy/api; thread-safe as far as RequestContext is not shared.

#include <string>

#include "proxy/api/key_backend.h"
#include "proxy/api/request_context.h"
#include "proxy/common/error.h"
#include "proxy/tenant/tenant_registry.h"

namespace xks::api {

/// InvalidState "The key store is disabled in the XKS proxy.".
Error TenantDisabled();

/// The tenant's key `key_id`. Errors: kInvalidUriPath (outside the spec's character set; routing
/// refuses these first), kKeyNotFound (not in this tenant's map).
ProxyResult<const tenant::TenantKey*> LookupKey(const tenant::Tenant& tenant,
                                                const std::string& key_id);

/// LookupKey for Encrypt and Decrypt, which also need an enabled tenant and an enabled key.
/// Errors: those of LookupKey, kInvalidState (tenant or key disabled).
ProxyResult<const tenant::TenantKey*> UsableKey(const tenant::Tenant& tenant,
                                                const std::string& key_id);

/// What a key operation may do with a key.
enum class KeyUse { kEncrypt, kDecrypt };

/// Errors: kInvalidKeyUsage unless `attributes` are of an AES-256 key permitted to `use`.
ProxyResult<void> RequireAes256For(const KeyAttributes& attributes, KeyUse use);

/// The attributes of `key`: from the cache while api.key_attribute_cache_ttl has not passed,
/// else from the HSM (timed into ctx.hsm_time, then cached). Errors: the backend's, mapped by
/// ClientErrorForBackendFailure(kDescribe).
ProxyResult<KeyAttributes> KeyAttributesFor(RequestContext& ctx, OperationEnv& env,
                                            const KeyLocation& key);

/// A key version ready for Encrypt or Decrypt: where it lives and what it may do.
struct UsableVersion {
  KeyLocation location;
  KeyAttributes attributes;
};

/// The preamble of every use of one key version: records its label in the audit event, refuses a
/// retired version (kInvalidState), reads its attributes (KeyAttributesFor) and requires an
/// AES-256 key permitted to `use` (kInvalidKeyUsage).
ProxyResult<UsableVersion> PrepareKeyVersion(RequestContext& ctx, OperationEnv& env,
                                             const tenant::KeyVersion& version, KeyUse use);

}  // namespace xks::api
