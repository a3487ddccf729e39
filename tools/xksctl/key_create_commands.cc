// `xksctl key create` and `key rotate`: a new HSM key as version 1 or as the next version.
#include "proxy/config/config.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/key_handlers.h"
#include "tools/xksctl/key_versions.h"

namespace xks::xksctl::keys {

int RunKeyCreate(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  const Usage usage = ParseUsage(args.GetOr("usage", "encrypt,decrypt"));
  if (!config::IsValidExternalKeyId(key_id)) {
    throw UsageError("EXTERNAL_KEY_ID must be 1..128 of A-Z a-z 0-9 . - _");
  }
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& t = store->Tenant(tenant);
  for (const config::KeyConfig& k : t.keys) {
    if (k.external_key_id == key_id) {
      throw OperationError("tenant " + tenant + " already has key " + key_id +
                           " — use `xksctl key rotate` for a new version");
    }
  }
  TenantHsm hsm = OpenTenantHsm(store->config(), t);
  const std::string label = KeyLabel(tenant, key_id, 1);
  pkcs11::KeyInfo info = CreateKey(hsm, label, usage);
  const std::string created = NowUtc();
  AddVersion(*store, tenant, key_id, 1, label, created);
  nlohmann::json reload = SaveOrRollBack(ctx, *store, hsm, label);
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"label", label},
               {"version", 1},
               {"usage", UsageString(info.usage)},
               {"created", created},
               {"reload", reload}},
              "created key " + key_id + " for tenant " + tenant + ": HSM key " + label +
                  " (AES-256, " + UsageString(info.usage) + ", sensitive, non-extractable)\n");
}

int RunKeyRotate(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const NextVersion next = NextVersionOf(FindKey(*store, tenant, key_id), key_id);
  TenantHsm hsm = OpenTenantHsm(store->config(), store->Tenant(tenant));
  const Usage usage = UsageForNewVersion(args, hsm, next.latest_label);
  const int version = next.version;
  const std::string label = KeyLabel(tenant, key_id, version);
  pkcs11::KeyInfo info = CreateKey(hsm, label, usage);
  const std::string created = NowUtc();
  AddVersion(*store, tenant, key_id, version, label, created);
  nlohmann::json reload = SaveOrRollBack(ctx, *store, hsm, label);
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"version", version},
               {"label", label},
               {"usage", UsageString(info.usage)},
               {"created", created},
               {"reload", reload}},
              "rotated key " + key_id + " of tenant " + tenant + ": version " +
                  std::to_string(version) + " = HSM key " + label +
                  " (new encrypts use it; older versions still decrypt)\n");
}

}  // namespace xks::xksctl::keys
