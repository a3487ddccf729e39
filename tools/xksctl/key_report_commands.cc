// `xksctl key list` and `key versions`: what the configuration maps and what the HSM holds.
#include <algorithm>
#include <optional>
#include <sstream>

#include "tools/xksctl/commands.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/key_handlers.h"
#include "tools/xksctl/key_versions.h"

namespace xks::xksctl::keys {

namespace {

// One key's description; `hsm` may be null (HSM not reachable). When versions were created and
// retired comes from the comment keys xksctl records on their entries.
nlohmann::json DescribeConfiguredKey(const ConfigStore& store, const config::TenantConfig& tenant,
                                     const config::KeyConfig& key, TenantHsm* hsm) {
  nlohmann::json versions = nlohmann::json::array();
  nlohmann::json current = nullptr;
  for (const config::KeyVersionConfig& v : key.versions) {
    const nlohmann::json notes =
        store.KeyVersionAnnotations({tenant.name, key.external_key_id, v.version});
    nlohmann::json item = {{"version", v.version},
                           {"label", v.label},
                           {"retired", v.retired},
                           {"created", notes.value("_created", "")}};
    if (notes.contains("_retired")) item["retired_at"] = notes["_retired"];
    if (hsm != nullptr) {
      auto info = hsm->client->DescribeKey(item["label"].get<std::string>(), AdminDeadline());
      item["present"] = info.ok();
      item["usage"] = info.ok() ? UsageString(info->usage) : "missing";
    }
    if (!item["retired"].get<bool>() &&
        (current.is_null() || item["version"].get<int>() > current["version"].get<int>())) {
      current = item;
    }
    versions.push_back(std::move(item));
  }
  nlohmann::json out = {{"external_key_id", key.external_key_id},
                        {"status", key.disabled || tenant.disabled ? "DISABLED" : "ENABLED"},
                        {"disabled", key.disabled},
                        {"versions", versions},
                        {"version_count", versions.size()}};
  if (!current.is_null()) {
    out["current_version"] = current["version"];
    out["label"] = current["label"];
    out["created"] = current["created"];
    if (current.contains("usage")) out["usage"] = current["usage"];
  }
  return out;
}

// Opens the tenant's token for read-only reporting; a failure is reported, not fatal.
std::optional<TenantHsm> TryOpen(const ConfigStore& store, const config::TenantConfig& t,
                                 nlohmann::json& note, bool skip) {
  if (skip) return std::nullopt;
  try {
    return OpenTenantHsm(store.config(), t);
  } catch (const OperationError& e) {
    note = e.what();
    return std::nullopt;
  }
}

}  // namespace

int RunKeyList(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& t = store->Tenant(tenant);
  nlohmann::json hsm_error = nullptr;
  auto hsm = TryOpen(*store, t, hsm_error, args.Has("no-hsm"));
  nlohmann::json keys = nlohmann::json::array();
  std::ostringstream text;
  text << "KEY ID                STATUS    VER  USAGE            CREATED               LABEL\n";
  for (const config::KeyConfig& key : t.keys) {
    const std::string& id = key.external_key_id;
    nlohmann::json k = DescribeConfiguredKey(*store, t, key, hsm ? &*hsm : nullptr);
    auto pad = [](std::string s, std::size_t w) {
      return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
    };
    text << pad(id, 22) << pad(k["status"], 10)
         << pad(std::to_string(k.value("current_version", 0)) + "/" +
                    std::to_string(k["version_count"].get<std::size_t>()),
                5)
         << pad(k.value("usage", "?"), 17) << pad(k.value("created", ""), 22)
         << k.value("label", "") << "\n";
    keys.push_back(std::move(k));
  }
  if (!hsm_error.is_null())
    text << "note: HSM not reachable, usage unknown: " << hsm_error.get<std::string>() << "\n";
  return Emit(ctx, {{"tenant", tenant}, {"keys", keys}, {"hsm_error", hsm_error}}, text.str());
}

int RunKeyVersions(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::KeyConfig& key = FindKey(*store, tenant, key_id);
  const config::TenantConfig& t = store->Tenant(tenant);
  nlohmann::json hsm_error = nullptr;
  auto hsm = TryOpen(*store, t, hsm_error, args.Has("no-hsm"));
  nlohmann::json k = DescribeConfiguredKey(*store, t, key, hsm ? &*hsm : nullptr);
  std::ostringstream text;
  text << "VERSION  STATE    USAGE            CREATED               LABEL\n";
  for (const auto& v : k["versions"]) {
    std::string state = v["retired"].get<bool>() ? "retired" : "active";
    if (k.contains("current_version") && v["version"] == k["current_version"]) state = "current";
    std::string ver = std::to_string(v["version"].get<int>());
    std::string usage = v.value("usage", "?");
    std::string created = v.value("created", "");
    text << ver << std::string(9 - std::min<std::size_t>(ver.size(), 8), ' ') << state
         << std::string(9 - std::min<std::size_t>(state.size(), 8), ' ') << usage
         << std::string(17 - std::min<std::size_t>(usage.size(), 16), ' ') << created
         << std::string(22 - std::min<std::size_t>(created.size(), 21), ' ')
         << v["label"].get<std::string>() << "\n";
  }
  k["tenant"] = tenant;
  k["hsm_error"] = hsm_error;
  return Emit(ctx, std::move(k), text.str());
}

}  // namespace xks::xksctl::keys
