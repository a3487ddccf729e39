// tenants[].policy: the customer's statements (XKS spec, "Authorization"). Globs are compiled here
// only to refuse invalid ones with their JSON path; proxy/tenant compiles them again for matching.

#include "proxy/config/config_policy.h"

#include <algorithm>
#include <functional>
#include <set>

#include "base/glob.h"
#include "proxy/config/config_writer.h"

namespace xks::config {
namespace parsing {
namespace {

template <std::size_t N>
bool PolicyNameIn(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

template <std::size_t N>
std::string PolicyNameList(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// "" when `pattern` is a valid glob, else why not.
std::string PolicyGlobProblem(const std::string& pattern) {
  std::string problem;
  Glob::Compile(pattern, &problem);
  return problem;
}

// A key pattern: a glob of externalKeyId characters (anything else could never match a key).
std::string PolicyKeyPatternProblem(const std::string& pattern) {
  if (std::string problem = PolicyGlobProblem(pattern); !problem.empty()) return problem;
  const bool key_chars = std::all_of(pattern.begin(), pattern.end(), [](char ch) {
    return IsAlnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '*' || ch == '?';
  });
  if (!key_chars) {
    return "matches no externalKeyId — use A-Z a-z 0-9 - . _ and the wildcards * and ?";
  }
  if (pattern.size() > 128 && pattern.find('*') == std::string::npos) {
    return "longer than an externalKeyId (128 characters) — shorten it";
  }
  return {};
}

// A non-empty array of strings at obj[key], each accepted by `problem_of` ("" = fine).
std::vector<std::string> PolicyStringList(
    const json& list, const std::string& path, Checker& c,
    const std::function<std::string(const std::string&)>& problem_of) {
  std::vector<std::string> out;
  if (!list.is_array()) {
    c.Add(path, "must be a JSON array of strings");
    return out;
  }
  if (list.empty()) c.Add(path, "empty — list at least one value, or remove the field");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string ip = Index(path, i);
    if (!list[i].is_string()) {
      c.Add(ip, "must be a string");
      continue;
    }
    std::string value = list[i].get<std::string>();
    if (std::string problem = problem_of(value); !problem.empty()) c.Add(ip, problem);
    out.push_back(std::move(value));
  }
  return out;
}

void ParsePolicyConditions(const json& s, const std::string& sp, PolicyStatementConfig& st,
                           Checker& c) {
  const json* conditions = c.Object(s, "conditions", sp, false);
  if (conditions == nullptr) return;
  const std::string cp = Join(sp, "conditions");
  if (conditions->empty()) c.Add(cp, "empty — name a requestMetadata field, or remove conditions");
  for (const auto& [field, values] : conditions->items()) {
    if (!field.empty() && field[0] == '_') continue;  // a comment, as everywhere in the file
    const std::string fp = Join(cp, field);
    if (!PolicyNameIn(kPolicyConditionFields, field)) {
      c.Add(fp, "unknown condition field — use a requestMetadata field: " +
                    PolicyNameList(kPolicyConditionFields));
      continue;
    }
    st.conditions[field] = PolicyStringList(values, fp, c, PolicyGlobProblem);
  }
}

PolicyStatementConfig ParsePolicyStatement(const json& s, const std::string& sp,
                                           std::set<std::string>& ids, Checker& c) {
  PolicyStatementConfig st;
  c.CheckKnown(s, sp, {"id", "effect", "operations", "keys", "conditions"});
  if (auto id = c.String(s, "id", sp, true, "give the statement a unique id, e.g. deny-s3")) {
    if (!IsValidId(*id)) {
      c.Add(Join(sp, "id"), "must be 1..64 of A-Z a-z 0-9 . - _");
    } else if (!ids.insert(*id).second) {
      c.Add(Join(sp, "id"), "duplicate statement id " + *id + " — give each statement its own id");
    }
    st.id = *id;
  }
  if (auto effect = c.String(s, "effect", sp, true, "give allow or deny")) {
    if (*effect != "allow" && *effect != "deny") {
      c.Add(Join(sp, "effect"), "must be allow or deny (got " + *effect + ")");
    }
    st.effect = *effect;
  }
  if (auto it = s.find("operations"); it != s.end()) {
    st.operations = PolicyStringList(*it, Join(sp, "operations"), c, [](const std::string& op) {
      return PolicyNameIn(kPolicyOperations, op)
                 ? std::string()
                 : "unknown operation " + op + " — use " + PolicyNameList(kPolicyOperations) +
                       " (health checks are never subject to policy)";
    });
  }
  if (auto it = s.find("keys"); it != s.end()) {
    st.keys = PolicyStringList(*it, Join(sp, "keys"), c, PolicyKeyPatternProblem);
  }
  ParsePolicyConditions(s, sp, st, c);
  return st;
}

}  // namespace

std::optional<PolicyConfig> ParseTenantPolicy(const json& tenant, const std::string& tp,
                                              Checker& c) {
  const json* p = c.Object(tenant, "policy", tp, false);
  if (p == nullptr) return std::nullopt;
  const std::string pp = Join(tp, "policy");
  c.CheckKnown(*p, pp, {"mode", "statements"});
  PolicyConfig policy;
  if (auto mode = c.String(*p, "mode", pp, false)) {
    if (*mode != "enforce" && *mode != "report") {
      c.Add(Join(pp, "mode"), "must be enforce or report (got " + *mode + ")");
    }
    policy.mode = *mode;
  }
  const json* statements = c.Array(*p, "statements", pp, true);
  if (statements == nullptr) return policy;
  const std::string sp = Join(pp, "statements");
  if (statements->empty()) {
    c.Add(sp, "empty — add a statement, or remove policy to allow every authenticated request");
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < statements->size(); ++i) {
    const json& s = (*statements)[i];
    if (!s.is_object()) {
      c.Add(Index(sp, i), "must be a JSON object like {\"id\": ..., \"effect\": \"allow\"}");
      continue;
    }
    policy.statements.push_back(ParsePolicyStatement(s, Index(sp, i), ids, c));
  }
  return policy;
}

}  // namespace parsing

nlohmann::json SerializePolicy(const PolicyConfig& policy, const SerializeOptions& options) {
  nlohmann::json statements = nlohmann::json::array();
  for (const PolicyStatementConfig& st : policy.statements) {
    nlohmann::json out = {{"id", st.id}, {"effect", st.effect}};
    // An empty list stands for "all" and is written by leaving the field out, as it was read.
    if (!st.operations.empty()) out["operations"] = st.operations;
    if (!st.keys.empty()) out["keys"] = st.keys;
    if (!st.conditions.empty()) out["conditions"] = st.conditions;
    statements.push_back(std::move(out));
  }
  return writing::ObjectWriter(options)
      .Optional("mode", policy.mode, std::string("enforce"))
      .Json("statements", std::move(statements))
      .Take();
}

}  // namespace xks::config
