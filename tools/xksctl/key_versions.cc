#include "tools/xksctl/key_versions.h"

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

nlohmann::json Versions(const nlohmann::json& key) {
  if (key.contains("versions")) return key["versions"];
  return nlohmann::json::array({{{"version", 1}, {"label", key.value("label", "")}}});
}

void NormalizeToVersions(nlohmann::json& key) {
  if (key.contains("versions")) return;
  key["versions"] = Versions(key);
  key.erase("label");
}

nlohmann::json& FindKey(ConfigStore& store, const std::string& tenant, const std::string& key_id) {
  nlohmann::json& t = store.Tenant(tenant);
  if (!t.contains("keys") || !t["keys"].is_object() || !t["keys"].contains(key_id)) {
    throw OperationError("tenant " + tenant + " has no key " + key_id + " (see `xksctl key list " +
                         tenant + "`)");
  }
  return t["keys"][key_id];
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

NextVersion NextVersionOf(nlohmann::json& key, const std::string& key_id) {
  NormalizeToVersions(key);
  NextVersion next;
  int latest = 0;
  for (const auto& v : key["versions"]) {
    if (v.value("version", 0) > latest) {
      latest = v.value("version", 0);
      next.latest_label = v.value("label", "");
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
  return SignalReload(ctx);
}

}  // namespace xks::xksctl::keys
