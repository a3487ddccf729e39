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

// One key's description; `hsm` may be null (HSM not reachable).
nlohmann::json DescribeConfiguredKey(const std::string& key_id, const nlohmann::json& key,
                                     bool tenant_disabled, TenantHsm* hsm) {
  nlohmann::json versions = nlohmann::json::array();
  nlohmann::json current = nullptr;
  for (const auto& v : Versions(key)) {
    nlohmann::json item = {{"version", v.value("version", 0)},
                           {"label", v.value("label", "")},
                           {"retired", v.value("retired", false)},
                           {"created", v.value("_created", "")}};
    if (v.contains("_retired")) item["retired_at"] = v["_retired"];
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
  const bool disabled = key.value("disabled", false);
  nlohmann::json out = {{"external_key_id", key_id},
                        {"status", disabled || tenant_disabled ? "DISABLED" : "ENABLED"},
                        {"disabled", disabled},
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
std::optional<TenantHsm> TryOpen(ConfigStore& store, const nlohmann::json& t, nlohmann::json& note,
                                 bool skip) {
  if (skip) return std::nullopt;
  try {
    return OpenTenantHsm(store.doc(), t, store.BaseDir());
  } catch (const OperationError& e) {
    note = e.what();
    return std::nullopt;
  }
}

}  // namespace

int RunKeyList(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const nlohmann::json& t = store->Tenant(tenant);
  nlohmann::json hsm_error = nullptr;
  auto hsm = TryOpen(*store, t, hsm_error, args.Has("no-hsm"));
  nlohmann::json keys = nlohmann::json::array();
  std::ostringstream text;
  text << "KEY ID                STATUS    VER  USAGE            CREATED               LABEL\n";
  for (const auto& [id, key] : KeysOf(t).items()) {
    nlohmann::json k =
        DescribeConfiguredKey(id, key, t.value("disabled", false), hsm ? &*hsm : nullptr);
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
  const nlohmann::json& t = store->Tenant(tenant);
  const nlohmann::json key = FindKey(*store, tenant, key_id);
  nlohmann::json hsm_error = nullptr;
  auto hsm = TryOpen(*store, t, hsm_error, args.Has("no-hsm"));
  nlohmann::json k =
      DescribeConfiguredKey(key_id, key, t.value("disabled", false), hsm ? &*hsm : nullptr);
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
