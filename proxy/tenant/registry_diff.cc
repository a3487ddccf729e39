#include "proxy/tenant/registry_diff.h"

namespace xks::tenant {

// Credentials are named by access key id only; secrets never enter the audit log.
std::vector<AdminChange> DiffRegistries(const TenantRegistry& before, const TenantRegistry& after) {
  std::vector<AdminChange> changes;
  for (const auto& old_tenant : before.tenants()) {
    if (after.FindByName(old_tenant.name) == nullptr) {
      changes.push_back({"tenant.remove", old_tenant.name, "", {}});
    }
  }
  for (const auto& tenant : after.tenants()) {
    const Tenant* old = before.FindByName(tenant.name);
    if (old == nullptr) {
      changes.push_back({"tenant.add",
                         tenant.name,
                         "",
                         {{"path_prefix", tenant.path_prefix}, {"tokens", tenant.token_ids}}});
    } else if (old->disabled != tenant.disabled) {
      changes.push_back(
          {tenant.disabled ? "tenant.disable" : "tenant.enable", tenant.name, "", {}});
    }
    for (const auto& credential : tenant.credentials) {
      if (old == nullptr || !old->HasAccessKeyId(credential.access_key_id)) {
        changes.push_back(
            {"credential.add", tenant.name, "", {{"access_key_id", credential.access_key_id}}});
      }
    }
    if (old != nullptr) {
      for (const auto& credential : old->credentials) {
        if (!tenant.HasAccessKeyId(credential.access_key_id)) {
          changes.push_back({"credential.revoke",
                             tenant.name,
                             "",
                             {{"access_key_id", credential.access_key_id}}});
        }
      }
      for (const auto& [id, key] : old->keys) {
        if (tenant.FindKey(id) == nullptr) changes.push_back({"key.remove", tenant.name, id, {}});
      }
    }
    for (const auto& [id, key] : tenant.keys) {
      const TenantKey* old_key = old ? old->FindKey(id) : nullptr;
      if (old_key == nullptr) {
        changes.push_back(
            {"key.add", tenant.name, id, {{"label", key.Current() ? key.Current()->label : ""}}});
        continue;
      }
      if (old_key->disabled != key.disabled) {
        changes.push_back({key.disabled ? "key.disable" : "key.enable", tenant.name, id, {}});
      }
      for (const auto& version : key.versions) {
        const KeyVersion* old_version = old_key->Find(version.version);
        if (old_version == nullptr) {
          changes.push_back({"key.rotate",
                             tenant.name,
                             id,
                             {{"version", version.version}, {"label", version.label}}});
        } else if (!old_version->retired && version.retired) {
          changes.push_back({"key.retire-version",
                             tenant.name,
                             id,
                             {{"version", version.version}, {"label", version.label}}});
        }
      }
    }
  }
  return changes;
}

}  // namespace xks::tenant
