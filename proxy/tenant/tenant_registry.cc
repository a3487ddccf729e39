#include "proxy/tenant/tenant_registry.h"

#include <set>

namespace xks::tenant {

const KeyVersion* TenantKey::Current() const {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (!it->retired) return &*it;
  }
  return nullptr;
}

const KeyVersion* TenantKey::Find(std::uint16_t version) const {
  for (const auto& v : versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

const TenantKey* Tenant::FindKey(std::string_view external_key_id) const {
  auto it = keys.find(external_key_id);
  return it == keys.end() ? nullptr : &it->second;
}

bool Tenant::HasAccessKeyId(std::string_view access_key_id) const {
  for (const auto& c : credentials) {
    if (c.access_key_id == access_key_id) return true;
  }
  return false;
}

std::shared_ptr<const TenantRegistry> TenantRegistry::Build(config::Config config) {
  std::shared_ptr<TenantRegistry> reg(new TenantRegistry());
  for (config::TenantConfig& tc : config.tenants) {
    Tenant t;
    t.name = tc.name;
    t.path_prefix = tc.path_prefix;
    t.token_ids = tc.tokens;
    t.disabled = tc.disabled;
    t.quota = tc.quota;
    for (config::CredentialConfig& cc : tc.credentials) {
      t.credentials.push_back({cc.access_key_id, std::move(cc.secret)});
    }
    tc.credentials.clear();
    for (const config::KeyConfig& kc : tc.keys) {
      TenantKey k;
      k.external_key_id = kc.external_key_id;
      k.disabled = kc.disabled;
      for (const auto& v : kc.versions) k.versions.push_back({v.version, v.label, v.retired});
      t.keys.emplace(k.external_key_id, std::move(k));
    }
    if (tc.policy) t.policy = std::make_shared<const Policy>(Policy::Compile(*tc.policy));
    const std::size_t index = reg->tenants_.size();
    reg->by_prefix_.emplace(t.path_prefix, index);
    reg->by_name_.emplace(t.name, index);
    for (const auto& c : t.credentials) reg->by_access_key_.emplace(c.access_key_id, index);
    reg->tenants_.push_back(std::move(t));
  }
  reg->config_ = std::move(config);
  return reg;
}

const Tenant* TenantRegistry::FindByPathPrefix(std::string_view prefix) const {
  auto it = by_prefix_.find(prefix);
  return it == by_prefix_.end() ? nullptr : &tenants_[it->second];
}

const Tenant* TenantRegistry::FindByName(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tenants_[it->second];
}

const Tenant* TenantRegistry::FindByAccessKeyId(std::string_view access_key_id) const {
  auto it = by_access_key_.find(access_key_id);
  return it == by_access_key_.end() ? nullptr : &tenants_[it->second];
}

std::vector<std::string> TenantRegistry::TenantTokenIds() const {
  std::set<std::string> ids;
  for (const auto& t : tenants_) ids.insert(t.token_ids.begin(), t.token_ids.end());
  return {ids.begin(), ids.end()};
}

}  // namespace xks::tenant
