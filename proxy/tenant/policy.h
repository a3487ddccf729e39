#pragma once
// A tenant's compiled policy (tenants[].policy; XKS spec, "Authorization": the customer's own
// authorization on top of AWS's, with the deciding statement logged). Built once per registry
// snapshot from a validated PolicyConfig, so a reload brings its policy with it.
//
// Decision rules: an explicit deny wins; with statements present, a request no allow matches is
// denied ("default deny"); a tenant without a policy allows every authenticated request. A
// statement matches when the operation, the key (exact or glob) and every condition match; a
// condition on a requestMetadata field the request does not carry never matches. In report mode
// the same decision is made and recorded, but the request is always allowed. Health checks are
// never subject to policy (the caller does not ask).
//
// Thread safety: immutable once compiled; Evaluate may run on any number of threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/glob.h"
#include "proxy/config/policy_config.h"

namespace xks::tenant {

/// The key operations a policy decides on.
enum class PolicyOperation : std::uint8_t { kEncrypt, kDecrypt, kMetadata };

/// "encrypt", "decrypt", "metadata" (the configuration's names), or nullopt for another name.
std::optional<PolicyOperation> PolicyOperationFromName(std::string_view name);

/// The request as a policy sees it. Values are views into the caller's request (they must outlive
/// the Evaluate call). fields[i] is the requestMetadata field config::kPolicyConditionFields[i],
/// nullopt when the request does not carry it as a string.
struct PolicyRequest {
  PolicyOperation operation = PolicyOperation::kEncrypt;
  std::string_view external_key_id;
  std::array<std::optional<std::string_view>, config::kPolicyConditionFields.size()> fields{};

  /// Sets the field with that requestMetadata name; false when no condition can name it.
  bool SetField(std::string_view name, std::string_view value);
};

/// The outcome of one evaluation.
struct PolicyDecision {
  bool allowed = true;         ///< false only in enforce mode
  bool policy_denies = false;  ///< what the statements decided (also in report mode)
  bool report_only = false;    ///< the policy is in report mode
  std::string_view statement;  ///< the deciding statement's id; "" for a default deny

  /// What the audit record's policyStatement and the log line say: the statement id ("acct-ebs"),
  /// "default deny", and in report mode "report: <id>" / "report: default deny" for what would
  /// have been denied.
  std::string Describe() const;
};

inline constexpr std::string_view kDefaultDenyName = "default deny";

class Policy {
 public:
  /// Compiles a policy that ParseConfig accepted. Never fails for a validated PolicyConfig (an
  /// invalid glob or an unknown name there is a programming error and aborts loudly).
  static Policy Compile(const config::PolicyConfig& config);

  PolicyDecision Evaluate(const PolicyRequest& request) const;

  bool report_only() const { return report_only_; }
  std::size_t statement_count() const { return statements_.size(); }

 private:
  struct Condition {
    std::size_t field = 0;  ///< index into PolicyRequest::fields
    std::vector<Glob> values;
  };
  struct Statement {
    std::string id;
    bool deny = false;
    std::uint8_t operations = 0;  ///< bit (1 << PolicyOperation) per operation named
    std::vector<Glob> keys;       ///< empty: every key
    std::vector<Condition> conditions;
    bool Matches(const PolicyRequest& request) const;
  };
  Policy() = default;
  std::vector<Statement> statements_;
  bool report_only_ = false;
};

}  // namespace xks::tenant
