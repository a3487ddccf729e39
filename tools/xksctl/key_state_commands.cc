// `xksctl key disable|enable` and `key retire-version`: state changes in the configuration.

#include <algorithm>

#include "tools/xksctl/commands.h"
#include "tools/xksctl/erasure.h"
#include "tools/xksctl/key_handlers.h"
#include "tools/xksctl/key_versions.h"

namespace xks::xksctl::keys {

int SetKeyDisabled(Context& ctx, const ParsedArgs& args, bool disabled) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  FindKey(*store, tenant, key_id).disabled = disabled;
  nlohmann::json reload = SaveAndReload(ctx, *store);
  return Emit(
      ctx,
      {{"tenant", tenant}, {"external_key_id", key_id}, {"disabled", disabled}, {"reload", reload}},
      "key " + key_id + " of tenant " + tenant + (disabled ? " disabled\n" : " enabled\n"));
}

int RunKeyRetireVersion(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  int version = 0;
  try {
    version = std::stoi(args.Positional(2));
  } catch (const std::exception&) {
    throw UsageError("VERSION must be a number");
  }
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  config::KeyConfig& key = FindKey(*store, tenant, key_id);
  auto target = std::find_if(key.versions.begin(), key.versions.end(),
                             [&](const auto& v) { return v.version == version; });
  if (target == key.versions.end()) {
    throw OperationError("key " + key_id + " of tenant " + tenant + " has no version " +
                         std::to_string(version));
  }
  if (target->retired) {
    throw OperationError("version " + std::to_string(version) + " of key " + key_id +
                         " is already retired");
  }
  const std::string label = target->label;
  target->retired = true;
  store->AnnotateKeyVersion({tenant, key_id, version}, "_retired", NowUtc());
  const config::AuditConfig audit = store->config().audit;
  nlohmann::json reload = SaveAndReload(ctx, *store);
  nlohmann::json encrypts = CountAuditedEncrypts(audit, tenant, key_id, label);
  std::string text = "retired version " + std::to_string(version) + " (" + label + ") of key " +
                     key_id + "; it still decrypts, new encrypts use the newest active version\n";
  if (encrypts.contains("ok")) {
    text += "  audit log: " + std::to_string(encrypts["ok"].get<std::uint64_t>()) +
            " successful Encrypt request(s) used this version (" +
            std::to_string(encrypts["failed"].get<std::uint64_t>()) + " failed)\n";
  } else {
    text += "  audit log: not counted (" + encrypts["unavailable"].get<std::string>() + ")\n";
  }
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"version", version},
               {"label", label},
               {"audited_encrypts", encrypts},
               {"reload", reload}},
              text);
}

}  // namespace xks::xksctl::keys
