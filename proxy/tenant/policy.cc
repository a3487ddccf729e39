#include "proxy/tenant/policy.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace xks::tenant {
namespace {

constexpr std::uint8_t kAllOperations = 0b111;

[[noreturn]] void PolicyInvariantBroken(const std::string& what) {
  // Only a configuration ParseConfig refused could get here: a programming error, not input.
  std::fprintf(stderr, "fatal: compiling a policy that was not validated: %s\n", what.c_str());
  std::abort();
}

Glob CompileValidatedGlob(const std::string& pattern) {
  auto glob = Glob::Compile(pattern);
  if (!glob) PolicyInvariantBroken("glob " + pattern);
  return std::move(*glob);
}

bool AnyGlobMatches(const std::vector<Glob>& globs, std::string_view text) {
  return std::any_of(globs.begin(), globs.end(),
                     [text](const Glob& glob) { return glob.Matches(text); });
}

}  // namespace

std::optional<PolicyOperation> PolicyOperationFromName(std::string_view name) {
  if (name == "encrypt") return PolicyOperation::kEncrypt;
  if (name == "decrypt") return PolicyOperation::kDecrypt;
  if (name == "metadata") return PolicyOperation::kMetadata;
  return std::nullopt;
}

bool PolicyRequest::SetField(std::string_view name, std::string_view value) {
  const auto& names = config::kPolicyConditionFields;
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return false;
  fields[static_cast<std::size_t>(it - names.begin())] = value;
  return true;
}

std::string PolicyDecision::Describe() const {
  const std::string decided =
      statement.empty() ? std::string(kDefaultDenyName) : std::string(statement);
  return report_only && policy_denies ? "report: " + decided : decided;
}

Policy Policy::Compile(const config::PolicyConfig& config) {
  Policy policy;
  policy.report_only_ = config.mode == "report";
  for (const config::PolicyStatementConfig& sc : config.statements) {
    Statement st;
    st.id = sc.id;
    st.deny = sc.effect == "deny";
    st.operations = sc.operations.empty() ? kAllOperations : 0;
    for (const std::string& name : sc.operations) {
      auto op = PolicyOperationFromName(name);
      if (!op) PolicyInvariantBroken("operation " + name);
      st.operations |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*op));
    }
    for (const std::string& key : sc.keys) st.keys.push_back(CompileValidatedGlob(key));
    for (const auto& [field, values] : sc.conditions) {
      const auto& names = config::kPolicyConditionFields;
      const auto it = std::find(names.begin(), names.end(), field);
      if (it == names.end()) PolicyInvariantBroken("condition field " + field);
      Condition condition{static_cast<std::size_t>(it - names.begin()), {}};
      for (const std::string& v : values) condition.values.push_back(CompileValidatedGlob(v));
      st.conditions.push_back(std::move(condition));
    }
    policy.statements_.push_back(std::move(st));
  }
  return policy;
}

bool Policy::Statement::Matches(const PolicyRequest& request) const {
  if ((operations & (1u << static_cast<unsigned>(request.operation))) == 0) return false;
  if (!keys.empty() && !AnyGlobMatches(keys, request.external_key_id)) return false;
  for (const Condition& condition : conditions) {
    const std::optional<std::string_view>& value = request.fields[condition.field];
    // A field the request does not carry matches no value, not even "*".
    if (!value || !AnyGlobMatches(condition.values, *value)) return false;
  }
  return true;
}

PolicyDecision Policy::Evaluate(const PolicyRequest& request) const {
  const Statement* allowing = nullptr;
  const Statement* denying = nullptr;
  for (const Statement& st : statements_) {
    if (st.deny ? denying != nullptr : allowing != nullptr) continue;  // already decided its kind
    if (!st.Matches(request)) continue;
    if (st.deny) {
      denying = &st;
      break;  // an explicit deny wins whatever follows
    }
    allowing = &st;
  }
  PolicyDecision decision;
  decision.report_only = report_only_;
  if (denying != nullptr || allowing == nullptr) {
    decision.policy_denies = true;
    decision.statement = denying != nullptr ? std::string_view(denying->id) : std::string_view();
  } else {
    decision.statement = allowing->id;
  }
  decision.allowed = !decision.policy_denies || report_only_;
  return decision;
}

}  // namespace xks::tenant
