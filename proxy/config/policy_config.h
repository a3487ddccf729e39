#pragma once
// `tenants[].policy`: the customer's secondary authorization (XKS spec, "Authorization"), as the
// configuration file writes it. proxy/tenant compiles it into the policy the API enforces; the
// format is documented in docs/configuration.md. Plain values.

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xks::config {

/// The requestMetadata fields a statement's conditions may name (XKS spec, "requestMetadata").
inline constexpr std::array<std::string_view, 7> kPolicyConditionFields = {
    "awsPrincipalArn", "kmsKeyArn",     "kmsOperation", "kmsViaService",
    "awsSourceVpc",    "awsSourceVpce", "kmsRequestId"};
/// The operations a statement may name: GetKeyMetadata, Encrypt, Decrypt (health never).
inline constexpr std::array<std::string_view, 3> kPolicyOperations = {"encrypt", "decrypt",
                                                                      "metadata"};

/// `tenants[].policy.statements[]`.
struct PolicyStatementConfig {
  std::string id;                       ///< unique in the policy; 1..64 of A-Za-z0-9 . - _
  std::string effect;                   ///< "allow" or "deny"
  std::vector<std::string> operations;  ///< of kPolicyOperations; empty: every operation
  std::vector<std::string> keys;        ///< externalKeyIds, exact or glob; empty: every key
  /// requestMetadata field -> exact values or globs; every field listed must match one value.
  std::map<std::string, std::vector<std::string>> conditions;
  bool operator==(const PolicyStatementConfig&) const = default;
};

/// `tenants[].policy`.
struct PolicyConfig {
  std::string mode = "enforce";  ///< "enforce" or "report" (decide and record, never deny)
  std::vector<PolicyStatementConfig> statements;  ///< never empty once validated
  bool operator==(const PolicyConfig&) const = default;
};

}  // namespace xks::config
