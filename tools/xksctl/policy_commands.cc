// `policy show|eval`: a tenant's secondary authorization (tenants[].policy; XKS spec,
// "Authorization"). `show` prints the statements; `eval` decides one request offline with the
// proxy's own engine (tenant::Policy), so "would this be allowed, and by which statement?" gets
// the answer the proxy would give. Neither command changes the configuration.

#include <sstream>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/tenant/policy.h"
#include "tools/xksctl/commands.h"

namespace xks::xksctl {
namespace {

std::string JoinPolicyValues(const std::vector<std::string>& values, const char* when_empty) {
  if (values.empty()) return when_empty;
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

std::string PolicyText(const std::string& tenant, const config::PolicyConfig& policy) {
  std::ostringstream o;
  o << "tenant " << tenant << ": policy mode " << policy.mode
    << (policy.mode == "report" ? " (decisions are recorded, nothing is denied)" : "") << "\n";
  for (const config::PolicyStatementConfig& st : policy.statements) {
    o << "  " << st.effect << "  " << st.id << "\n"
      << "    operations: " << JoinPolicyValues(st.operations, "all") << "\n"
      << "    keys:       " << JoinPolicyValues(st.keys, "all") << "\n";
    for (const auto& [field, values] : st.conditions) {
      o << "    when " << field << " is one of: " << JoinPolicyValues(values, "") << "\n";
    }
  }
  o << "A deny that matches wins; a request no allow matches is denied (default deny). Health "
       "checks are never subject to policy.\n";
  return o.str();
}

int RunPolicyShow(Context& ctx, const ParsedArgs& args) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& tenant = store->Tenant(args.Positional(0));
  if (!tenant.policy) {
    return Emit(
        ctx, {{"tenant", tenant.name}, {"policy", nullptr}},
        "tenant " + tenant.name + " has no policy: every authenticated request is allowed\n");
  }
  // The serialised form is the file's own shape (every field spelt out).
  config::Config only_this;
  only_this.tenants.emplace_back();  // TenantConfig holds secrets and is move-only
  only_this.tenants.back().policy = tenant.policy;
  nlohmann::json policy = config::SerializeConfig(only_this)["tenants"][0]["policy"];
  return Emit(ctx, {{"tenant", tenant.name}, {"policy", std::move(policy)}},
              PolicyText(tenant.name, *tenant.policy));
}

// Refuses a --field name no condition can name, so a typo does not evaluate as "absent".
void RequireConditionField(const std::string& name) {
  for (std::string_view known : config::kPolicyConditionFields) {
    if (known == name) return;
  }
  std::string known;
  for (auto n : config::kPolicyConditionFields)
    known += (known.empty() ? "" : ", ") + std::string(n);
  throw UsageError("no policy condition can name " + name + " — use one of: " + known);
}

// The requestMetadata of the request to evaluate: --metadata (a JSON object, as KMS sends it),
// then every --field NAME=VALUE on top. `storage` keeps the strings the request views.
void FillEvalFields(const ParsedArgs& args, tenant::PolicyRequest& request,
                    std::vector<std::string>& storage) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (auto md = args.Get("metadata")) {
    const nlohmann::json doc = nlohmann::json::parse(*md, nullptr, false);
    if (!doc.is_object()) throw UsageError("--metadata must be a JSON object of requestMetadata");
    for (const auto& [name, value] : doc.items()) {
      // As the proxy does: a field that is not a string matches no condition, and fields no
      // condition names (kmsRequestId aside, e.g. kmsKeyId) are ignored.
      if (value.is_string()) fields.emplace_back(name, value.get<std::string>());
    }
  }
  for (const std::string& field : args.GetAll("field")) {
    const auto eq = field.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--field wants NAME=VALUE: " + field);
    RequireConditionField(field.substr(0, eq));
    fields.emplace_back(field.substr(0, eq), field.substr(eq + 1));
  }
  storage.reserve(fields.size());  // no reallocation: the request holds views into it
  for (auto& [name, value] : fields) {
    storage.push_back(std::move(value));
    request.SetField(name, storage.back());
  }
}

std::string EvalText(const tenant::PolicyDecision& d, const std::string& decided_by) {
  if (d.report_only && d.policy_denies) {
    return "allowed (report mode): enforced, this would be denied by " + decided_by + "\n";
  }
  if (d.policy_denies) return "denied by " + decided_by + "\n";
  return "allowed by " + decided_by + "\n";
}

int RunPolicyEval(Context& ctx, const ParsedArgs& args) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& tenant = store->Tenant(args.Positional(0));
  const std::string operation = args.Require("operation");
  const std::string key = args.Require("key");
  const auto op = tenant::PolicyOperationFromName(operation);
  if (!op) throw UsageError("--operation must be encrypt, decrypt or metadata");
  if (!config::IsValidExternalKeyId(key)) {
    throw UsageError("--key must be an externalKeyId: 1..128 of A-Z a-z 0-9 - . _");
  }
  tenant::PolicyRequest request;
  request.operation = *op;
  request.external_key_id = key;
  std::vector<std::string> storage;
  FillEvalFields(args, request, storage);
  bool key_configured = false;
  for (const config::KeyConfig& k : tenant.keys) key_configured |= k.external_key_id == key;
  nlohmann::json out = {{"tenant", tenant.name},
                        {"operation", operation},
                        {"key", key},
                        {"key_configured", key_configured}};
  if (!tenant.policy) {
    out.update({{"allowed", true}, {"policy", nullptr}, {"statement", nullptr}});
    return Emit(ctx, out, "allowed: tenant " + tenant.name + " has no policy\n");
  }
  const tenant::Policy policy = tenant::Policy::Compile(*tenant.policy);
  const tenant::PolicyDecision d = policy.Evaluate(request);
  const std::string decided_by = d.statement.empty() ? std::string(tenant::kDefaultDenyName)
                                                     : "statement " + std::string(d.statement);
  out.update({{"allowed", d.allowed},
              {"policy_denies", d.policy_denies},
              {"mode", tenant.policy->mode},
              {"statement", d.statement.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(std::string(d.statement))},
              {"policy_statement", d.Describe()}});
  std::string text = EvalText(d, decided_by);
  if (!key_configured) text += "note: tenant " + tenant.name + " has no key " + key + "\n";
  return Emit(ctx, out, text);
}

}  // namespace

std::vector<Command> PolicyCommands() {
  std::vector<Command> cmds;
  cmds.push_back({"policy",
                  "show",
                  "TENANT",
                  "Shows the tenant's policy (tenants[].policy): its mode and statements.",
                  {},
                  1,
                  1,
                  RunPolicyShow});
  cmds.push_back(
      {"policy",
       "eval",
       "TENANT --operation encrypt|decrypt|metadata --key ID [--metadata JSON] "
       "[--field NAME=VALUE ...]",
       "Decides one request offline as the proxy would: allowed or denied, and by which "
       "statement (\"default deny\" when no allow matches). The request's requestMetadata comes "
       "from --metadata (a JSON object as KMS sends it) and --field (repeatable); a field not "
       "given is absent and matches no condition. Exit code 0 for either answer.",
       {{"operation", "OP", "encrypt, decrypt or metadata (required)"},
        {"key", "ID", "the externalKeyId (required)"},
        {"metadata", "JSON", "requestMetadata as a JSON object, e.g. {\"kmsViaService\": \"s3\"}"},
        {"field", "NAME=VALUE", "one requestMetadata field (repeatable), e.g. kmsViaService=s3"}},
       1,
       1,
       RunPolicyEval});
  return cmds;
}

}  // namespace xks::xksctl
