// `fleet add|remove|check`: the members of a tenant's fleet (tenants[].tokens), several HSM
// tokens holding the same key material (an HSM cluster, or HSMs kept in sync by their vendor's
// replication). A member joins only after a known-answer check proves it holds every key version
// of the tenant: a message sealed on the primary must open on the new member, and one sealed on
// the new member must open on the primary. Neither direction shows key material: each uses a
// fresh random message, which is never printed.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/random.h"
#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/secrets.h"
#include "tools/xksctl/token_entries.h"

namespace xks::xksctl {
namespace {

constexpr std::string_view kCheckAad = "xksctl fleet known-answer check";

// Seals a fresh random message with `label` on `from` and opens it on `to`. nullopt when the
// message came back unchanged; else what went wrong (no key material in it).
std::optional<std::string> SealThenOpen(TenantHsm& from, TenantHsm& to, const std::string& label) {
  const SecretBytes message = RandomBytes(32);
  const std::span<const std::uint8_t> aad(reinterpret_cast<const std::uint8_t*>(kCheckAad.data()),
                                          kCheckAad.size());
  auto sealed = from.client->Encrypt(label, message.span(), aad, AdminDeadline());
  if (!sealed.ok()) return "encrypt on " + from.token_id + " failed: " + sealed.error().message;
  auto opened =
      to.client->Decrypt(label, sealed->iv, sealed->ciphertext, sealed->tag, aad, AdminDeadline());
  if (!opened.ok()) {
    return "a message sealed on " + from.token_id + " does not open on " + to.token_id + ": " +
           opened.error().message;
  }
  if (!ConstantTimeEquals(opened->span(), message.span())) {
    return "a message sealed on " + from.token_id + " opens differently on " + to.token_id;
  }
  return std::nullopt;
}

// Both directions where the keys' usage allows them; at least one must be possible.
std::optional<std::string> CheckKeyVersion(TenantHsm& primary, TenantHsm& member,
                                           const std::string& label) {
  auto on_primary = primary.client->DescribeKey(label, AdminDeadline());
  if (!on_primary.ok())
    return "not usable on " + primary.token_id + ": " + on_primary.error().message;
  auto on_member = member.client->DescribeKey(label, AdminDeadline());
  if (!on_member.ok()) return "not held by " + member.token_id + ": " + on_member.error().message;
  bool checked = false;
  if (on_primary->usage.encrypt && on_member->usage.decrypt) {
    if (auto failed = SealThenOpen(primary, member, label)) return failed;
    checked = true;
  }
  if (on_member->usage.encrypt && on_primary->usage.decrypt) {
    if (auto failed = SealThenOpen(member, primary, label)) return failed;
    checked = true;
  }
  if (!checked) return "cannot be compared: neither token can open what the other seals with it";
  return std::nullopt;
}

// Every version of every key of `tenant` on `member` against the primary. Returns the JSON report
// and whether every version matched.
std::pair<nlohmann::json, bool> CheckMember(TenantHsm& primary, TenantHsm& member,
                                            const config::TenantConfig& tenant) {
  nlohmann::json keys = nlohmann::json::array();
  bool all_ok = true;
  for (const config::KeyConfig& key : tenant.keys) {
    for (const config::KeyVersionConfig& version : key.versions) {
      std::optional<std::string> failed = CheckKeyVersion(primary, member, version.label);
      all_ok = all_ok && !failed;
      nlohmann::json entry = {{"external_key_id", key.external_key_id},
                              {"version", version.version},
                              {"label", version.label},
                              {"same_key", !failed}};
      if (failed) entry["problem"] = *failed;
      keys.push_back(std::move(entry));
    }
  }
  return {nlohmann::json{{"token_id", member.token_id}, {"keys", std::move(keys)}}, all_ok};
}

void AppendCheckText(std::ostringstream& text, const nlohmann::json& report) {
  for (const nlohmann::json& k : report["keys"]) {
    text << "  " << report["token_id"].get<std::string>() << "  "
         << k["external_key_id"].get<std::string>() << " v" << k["version"].get<int>() << "  "
         << (k["same_key"].get<bool>() ? "same key"
                                       : "MISMATCH: " + k["problem"].get<std::string>())
         << "\n";
  }
}

// The hsm.tokens entry the new member uses: an existing entry no tenant uses (--token-id alone),
// or a new one bound to an existing token by label or URI (as `tenant add` binds one).
std::string PrepareMemberEntry(ConfigStore& store, const ParsedArgs& args,
                               const config::TenantConfig& tenant, nlohmann::json& out) {
  config::Config& cfg = store.config();
  const bool binds = args.Has("token-label") || args.Has("token-uri");
  if (!binds) {
    const std::string id = args.Require("token-id");
    if (cfg.hsm.FindToken(id) == nullptr) {
      throw OperationError("hsm.tokens has no entry " + id +
                           " — name an existing token with --token-label or --token-uri");
    }
    for (const config::TenantConfig& t : cfg.tenants) {
      if (std::find(t.tokens.begin(), t.tokens.end(), id) != t.tokens.end()) {
        throw OperationError("token " + id + " is already used by tenant " + t.name +
                             " — tenants may not share a token");
      }
    }
    out["token_entry_added"] = false;
    return id;
  }
  if (args.Has("token-label") == args.Has("token-uri")) {
    throw UsageError("give one of --token-label L or --token-uri U");
  }
  const std::string id =
      args.GetOr("token-id", tenant.name + "-" + std::to_string(tenant.tokens.size() + 1));
  if (!IsValidName(id)) throw UsageError("--token-id must be 1..64 of A-Z a-z 0-9 . - _");
  if (cfg.hsm.FindToken(id) != nullptr) {
    throw OperationError("hsm.tokens already has a token with id " + id + " — give --token-id");
  }
  const std::string pin_file = std::filesystem::absolute(args.Require("pin-file")).string();
  if (!FileExists(pin_file)) {
    throw OperationError("--pin-file " + pin_file +
                         " does not exist (0600 file with the user PIN)");
  }
  const ModuleChoice module = ChooseModuleEntry(store, args);
  const std::string ref =
      args.Has("token-uri") ? args.Require("token-uri") : args.Require("token-label");
  const auto [health_key, created] =
      EnsureHealthKey(OpenModuleOrThrow(module.name, false, module.parameters.value_or("")), ref,
                      pin_file, args.GetOr("health-key-label", "xks-" + id + "-health"));
  const config::TokenConfig& primary = *cfg.hsm.FindToken(tenant.primary_token());
  cfg.hsm.tokens.push_back(config::TokenConfig{
      .id = id,
      .module_id = module.id,
      .token = ref,
      .pin = {.kind = config::SecretRef::Kind::kFile, .where = pin_file},
      // A fleet's members take the same load: sized like the primary until the operator says.
      .max_sessions = primary.max_sessions,
      .queue_limit = primary.queue_limit,
      .health_check_key = health_key});
  out["token_entry_added"] = true;
  out["module"] = {{"id", module.id}, {"added", module.added}};
  out["health_check_key"] = {{"label", health_key}, {"created", created}};
  return id;
}

int RunFleetAdd(Context& ctx, const ParsedArgs& args) {
  const std::string name = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  // hsm.tokens may grow below; the tenants vector does not, so the reference stays valid.
  config::TenantConfig& tenant = store->Tenant(name);
  if (tenant.tokens.size() >= config::kMaxFleetMembers) {
    throw OperationError("tenant " + name + " already has " +
                         std::to_string(config::kMaxFleetMembers) +
                         " members, the most GetHealthStatus may list");
  }
  nlohmann::json data = {{"tenant", name}};
  const std::string id = PrepareMemberEntry(*store, args, tenant, data);
  TenantHsm primary = OpenTenantHsm(store->config(), tenant);
  TenantHsm member = OpenConfiguredToken(store->config(), id, "the new member");
  auto [report, same] = CheckMember(primary, member, tenant);
  data["check"] = report;
  std::ostringstream text;
  AppendCheckText(text, report);
  if (!same) {
    if (ctx.json) {
      data["ok"] = false;
      *ctx.out << data.dump() << "\n";
    } else {
      *ctx.out << text.str();
    }
    *ctx.err << "xksctl: error: token " << id << " does not hold the same keys as "
             << tenant.primary_token() << "; the fleet is unchanged\n";
    return kExitFailed;
  }
  tenant.tokens.push_back(id);
  data["tokens"] = tenant.tokens;
  data["reload"] = SaveAndReload(ctx, *store);
  text << "token " << id << " joined tenant " << name << "'s fleet (" << tenant.tokens.size()
       << " members)\n";
  return Emit(ctx, std::move(data), text.str());
}

int RunFleetRemove(Context& ctx, const ParsedArgs& args) {
  const std::string name = args.Positional(0);
  const std::string id = args.Require("token-id");
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  config::TenantConfig& tenant = store->Tenant(name);
  auto it = std::find(tenant.tokens.begin(), tenant.tokens.end(), id);
  if (it == tenant.tokens.end()) {
    throw OperationError("token " + id + " is not a member of tenant " + name + "'s fleet");
  }
  if (tenant.tokens.size() == 1) {
    throw OperationError("token " + id + " is tenant " + name +
                         "'s only token — add another member first, or shred the tenant");
  }
  tenant.tokens.erase(it);
  // The entry goes with the membership: tokens are never shared, so nothing else uses it. The
  // token's key material stays in the HSM.
  auto& tokens = store->config().hsm.tokens;
  std::erase_if(tokens, [&](const config::TokenConfig& t) { return t.id == id; });
  nlohmann::json data = {{"tenant", name}, {"removed", id}, {"tokens", tenant.tokens}};
  data["reload"] = SaveAndReload(ctx, *store);
  return Emit(ctx, std::move(data),
              "token " + id + " left tenant " + name +
                  "'s fleet; its key material is untouched in the HSM\n");
}

int RunFleetCheck(Context& ctx, const ParsedArgs& args) {
  const std::string name = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& tenant = store->Tenant(name);
  TenantHsm primary = OpenTenantHsm(store->config(), tenant);
  nlohmann::json members = nlohmann::json::array();
  std::ostringstream text;
  bool all_same = true;
  for (std::size_t i = 1; i < tenant.tokens.size(); ++i) {
    TenantHsm member = OpenConfiguredToken(store->config(), tenant.tokens[i], "tenant " + name);
    auto [report, same] = CheckMember(primary, member, tenant);
    all_same = all_same && same;
    AppendCheckText(text, report);
    members.push_back(std::move(report));
  }
  nlohmann::json data = {{"tenant", name},
                         {"primary", tenant.primary_token()},
                         {"members", std::move(members)},
                         {"ok", all_same}};
  if (!all_same) {
    *ctx.out << (ctx.json ? data.dump() + "\n" : text.str());
    *ctx.err << "xksctl: error: a member of tenant " << name << "'s fleet holds other keys\n";
    return kExitFailed;
  }
  text << "every member of tenant " << name << "'s fleet holds the same keys\n";
  return Emit(ctx, std::move(data), text.str());
}

}  // namespace

std::vector<Command> FleetCommands() {
  std::vector<Command> cmds;
  cmds.push_back(
      {"fleet",
       "add",
       "TENANT (--token-id ID | (--token-label L | --token-uri U) --pin-file F [--token-id ID] "
       "[--module M] [--health-key-label L])",
       "Adds an HSM token holding the same keys to the tenant's fleet (tenants[].tokens), after a "
       "known-answer check on every key version: a message sealed on the primary must open on the "
       "new member and the other way round. A failed check leaves the configuration unchanged.",
       {{"token-id", "ID", "hsm.tokens id: an existing unused entry, or the new entry's id"},
        {"token-label", "L", "bind an existing token by label (adds an hsm.tokens entry)"},
        {"token-uri", "U", "bind an existing token by PKCS#11 URI (adds an hsm.tokens entry)"},
        {"pin-file", "F", "the new token's user PIN file (0600)"},
        {"module", "M", "its PKCS#11 module (default: the configured one, else softhsm2)"},
        {"health-key-label", "L",
         "its health-check key (default xks-ID-health; created if absent)"}},
       1,
       1,
       RunFleetAdd});
  cmds.push_back({"fleet",
                  "remove",
                  "TENANT --token-id ID",
                  "Takes a member out of the tenant's fleet and drops its hsm.tokens entry (the "
                  "token's keys stay in the HSM). The last member cannot be removed.",
                  {{"token-id", "ID", "the member to remove"}},
                  1,
                  1,
                  RunFleetRemove});
  cmds.push_back({"fleet",
                  "check",
                  "TENANT",
                  "Runs the known-answer check of `fleet add` on every member against the primary "
                  "(exit 1 when one holds other keys).",
                  {},
                  1,
                  1,
                  RunFleetCheck});
  return cmds;
}

}  // namespace xks::xksctl
