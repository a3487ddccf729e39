#pragma once
// One fleet member's part of a crypto-shred: opening its token, canaries before the destruction,
// destroying the key objects and proving with a fresh session that they are gone. A member that
// cannot be reached (module failing, PIN refused, token missing) is recorded as such rather than
// aborting the shred: the certificate then says the erasure is incomplete and names it.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pkcs11/hsm.h"
#include "proxy/config/config.h"
#include "tools/xksctl/hsm_access.h"

namespace xks::xksctl {

/// One key object to destroy on one member, and what is known about it.
struct ShredTarget {
  std::string label;
  std::string external_key_id;  ///< "" for objects no key id maps (health-check key, others)
  int version = 0;
  std::string role;  ///< "tenant-key", "health-check", "other"
  std::optional<pkcs11::GcmSealed> canary;
  nlohmann::json result = nlohmann::json::object();
};

/// One fleet member (hsm.tokens entry) of the shredded tenant.
struct ShredMember {
  std::string token_id;
  std::string token;  ///< label or URI from the configuration
  std::string label, serial;
  std::optional<TenantHsm> hsm;  ///< absent when unreachable
  std::string error;             ///< why it is unreachable or could not be proven
  std::vector<ShredTarget> targets;
  bool complete = false;  ///< every target destroyed and proven gone

  bool reachable() const { return hsm.has_value(); }
  /// {"id","token","label","serial","reachable","complete", "error"?}.
  nlohmann::json ToJson() const;
};

/// Opens every member in `token_ids`; an unreachable one keeps its error instead of throwing.
std::vector<ShredMember> OpenShredMembers(const config::Config& cfg,
                                          const std::vector<std::string>& token_ids);

/// Every object in the member's token (a key pair once), each mapped to the external key id and
/// version whose label it carries, plus configured keys the token does not hold. For an
/// unreachable member, the configured keys only.
void ListTenantTargets(ShredMember& member, const config::TenantConfig& tenant);

/// Encrypts a random canary with each encrypt-capable AES target of a reachable member.
void MakeCanaries(ShredMember& member);

/// Destroys every target of a reachable member, then proves with a freshly opened session (no
/// cached handles) that the labels are gone and the canaries no longer decrypt. Sets `complete`.
void DestroyAndProve(ShredMember& member);

}  // namespace xks::xksctl
