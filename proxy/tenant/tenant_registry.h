#pragma once
// The runtime view of the tenants: an immutable snapshot built from a validated Config. A request
// takes one shared_ptr<const TenantRegistry> at its start and uses only that, so a reload is atomic
// for it (see RegistryHolder).
//
// Thread safety: immutable after Build; any number of threads may read concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "proxy/config/config.h"
#include "proxy/tenant/policy.h"

namespace xks::tenant {

/// One version of a key: which HSM object it is.
struct KeyVersion {
  std::uint16_t version = 1;
  std::string label;  ///< HSM key label or "pkcs11:object=..." URI
  bool retired = false;
};

/// An externalKeyId of one tenant.
struct TenantKey {
  std::string external_key_id;
  std::vector<KeyVersion> versions;  ///< ascending by version; never empty
  bool disabled = false;
  /// The version new ciphertext is made with: the highest non-retired one. Never null once built
  /// from a validated Config.
  const KeyVersion* Current() const;
  /// The version with that number (retired or not), or null.
  const KeyVersion* Find(std::uint16_t version) const;
};

/// One SigV4 credential of a tenant (the lead turns these into the auth CredentialStore).
struct TenantCredential {
  std::string access_key_id;
  SecretBytes secret_access_key;
};

struct Tenant {
  std::string name;
  std::string path_prefix;  ///< "" or "/a/b"
  /// The tenant's own tokens (hsm.tokens[].id): the members of its fleet, holding the same keys.
  /// Never empty.
  std::vector<std::string> token_ids;
  bool disabled = false;
  std::vector<TenantCredential> credentials;
  std::map<std::string, TenantKey, std::less<>> keys;
  config::QuotaConfig quota;  ///< tenants[].quota (all 0: none)
  /// tenants[].policy, compiled; null: every authenticated request is allowed.
  std::shared_ptr<const Policy> policy;

  const TenantKey* FindKey(std::string_view external_key_id) const;
  bool HasAccessKeyId(std::string_view access_key_id) const;
};

class TenantRegistry {
 public:
  /// Builds a snapshot from a Config that ParseConfig/LoadConfigFile accepted (secrets are moved
  /// out of `config` into the tenants). Never fails for a validated Config.
  static std::shared_ptr<const TenantRegistry> Build(config::Config config);

  /// The tenant whose path_prefix is exactly `prefix` ("" for the root), or null.
  const Tenant* FindByPathPrefix(std::string_view prefix) const;
  const Tenant* FindByName(std::string_view name) const;
  /// The tenant owning this access key id, or null (access key ids are unique across tenants).
  const Tenant* FindByAccessKeyId(std::string_view access_key_id) const;

  const std::vector<Tenant>& tenants() const { return tenants_; }
  /// Every token id some tenant uses (sorted, unique): what the HealthMonitor checks.
  std::vector<std::string> TenantTokenIds() const;
  /// server/api/hsm/audit sections of the configuration (tenant credentials moved out).
  const config::Config& config() const { return config_; }

 private:
  TenantRegistry() = default;
  config::Config config_;
  std::vector<Tenant> tenants_;
  std::map<std::string, std::size_t, std::less<>> by_prefix_;
  std::map<std::string, std::size_t, std::less<>> by_name_;
  std::map<std::string, std::size_t, std::less<>> by_access_key_;
};

}  // namespace xks::tenant
