#include "tools/xksctl/key_versions.h"

#include <algorithm>
#include <cstdint>

#include "tools/xksctl/secrets.h"

namespace xks::xksctl::keys {

Usage ParseUsage(const std::string& text) {
  if (text == "encrypt,decrypt" || text == "decrypt,encrypt") return {true, true};
  if (text == "encrypt") return {true, false};
  if (text == "decrypt") return {false, true};
  if (text == "none") return {false, false};
  throw UsageError("--usage must be encrypt,decrypt | encrypt | decrypt | none");
}

std::string KeyLabel(const std::string& tenant, const std::string& key_id, int version) {
  return "xks-" + tenant + "-" + key_id + "-v" + std::to_string(version);
}

config::KeyConfig& FindKey(ConfigStore& store, const std::string& tenant,
                           const std::string& key_id) {
  for (config::KeyConfig& key : store.Tenant(tenant).keys) {
    if (key.external_key_id == key_id) return key;
  }
  throw OperationError("tenant " + tenant + " has no key " + key_id + " (see `xksctl key list " +
                       tenant + "`)");
}

void AddKey(config::TenantConfig& tenant, config::KeyConfig key) {
  auto at = std::lower_bound(
      tenant.keys.begin(), tenant.keys.end(), key.external_key_id,
      [](const config::KeyConfig& k, const std::string& id) { return k.external_key_id < id; });
  tenant.keys.insert(at, std::move(key));
}

void AddVersion(ConfigStore& store, const std::string& tenant, const std::string& key_id,
                int version, const std::string& label, const std::string& created,
                const std::string& origin) {
  config::TenantConfig& t = store.Tenant(tenant);
  const config::KeyVersionConfig entry{.version = static_cast<std::uint16_t>(version),
                                       .label = label};
  auto existing = std::find_if(t.keys.begin(), t.keys.end(),
                               [&](const auto& k) { return k.external_key_id == key_id; });
  if (existing != t.keys.end()) {
    existing->versions.push_back(entry);
  } else {
    config::KeyConfig key;
    key.external_key_id = key_id;
    key.versions.push_back(entry);
    AddKey(t, std::move(key));
  }
  const KeyVersionRef ref{tenant, key_id, version};
  store.AnnotateKeyVersion(ref, "_created", created);
  if (!origin.empty()) store.AnnotateKeyVersion(ref, "_origin", origin);
}

pkcs11::AesKeySpec NewKeySpec(const std::string& label, Usage usage) {
  pkcs11::AesKeySpec spec;
  spec.label = label;
  SecretBytes id = RandomBytes(16);
  spec.id.assign(id.data(), id.data() + id.size());
  spec.encrypt = usage.encrypt;
  spec.decrypt = usage.decrypt;
  return spec;
}

NextVersion NextVersionOf(const config::KeyConfig& key, const std::string& key_id) {
  NextVersion next;
  int latest = 0;
  for (const config::KeyVersionConfig& v : key.versions) {
    if (v.version > latest) {
      latest = v.version;
      next.latest_label = v.label;
    }
  }
  if (latest >= 65535) throw OperationError("key " + key_id + " has reached version 65535");
  next.version = latest + 1;
  return next;
}

Usage UsageForNewVersion(const ParsedArgs& args, TenantHsm& hsm, const std::string& latest_label) {
  if (auto u = args.Get("usage")) return ParseUsage(*u);
  if (latest_label.empty()) return Usage{true, true};
  auto info = hsm.client->DescribeKey(latest_label, AdminDeadline());
  return info.ok() ? Usage{info->usage.encrypt, info->usage.decrypt} : Usage{true, true};
}

pkcs11::KeyInfo CreateKey(TenantHsm& hsm, const std::string& label, Usage usage) {
  auto created = hsm.client->CreateAesKey(NewKeySpec(label, usage), AdminDeadline());
  if (!created.ok()) ThrowHsm("cannot create HSM key " + label, created.error());
  return created.value();
}

nlohmann::json SaveOrRollBack(Context& ctx, ConfigStore& store, TenantHsm& hsm,
                              const std::string& label) {
  try {
    store.Save();
  } catch (const OperationError&) {
    (void)hsm.client->DestroyKey(label, AdminDeadline());
    throw;
  }
  return SignalReload(ctx, &store);
}

}  // namespace xks::xksctl::keys
