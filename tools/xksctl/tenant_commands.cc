// `xksctl tenant ...`: add, inspect, disable and crypto-shred tenants.

#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/erasure.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/secrets.h"
#include "tools/xksctl/token_entries.h"

namespace xks::xksctl {
namespace {

// What `tenant add` was asked for, checked against the configuration before the HSM is touched,
// so a refused tenant leaves no initialized token behind.
struct TenantAddRequest {
  std::string name;
  std::string prefix;
  std::string pin_file;
  std::string token_id;
};

// The arguments alone, before the configuration is opened.
TenantAddRequest TenantAddArguments(const ParsedArgs& args) {
  TenantAddRequest request{args.Positional(0), args.Require("prefix"),
                           std::filesystem::absolute(args.Require("pin-file")).string(), ""};
  const int token_choices = int{args.Has("init-token")} + int{args.Has("token-uri")} +
                            int{args.Has("token-label") && !args.Has("init-token")};
  if (token_choices != 1) {
    throw UsageError(
        "choose the token: --init-token [--token-label L] (new token in a free slot), or "
        "--token-label L / --token-uri U (an existing token)");
  }
  return request;
}

void CheckTenantAdd(const ParsedArgs& args, const config::Config& cfg, TenantAddRequest& request) {
  const std::string& name = request.name;
  if (!IsValidName(name)) throw UsageError("tenant name must be 1..64 of A-Z a-z 0-9 . - _");
  if (!config::IsValidPathPrefix(request.prefix)) {
    throw UsageError(
        "--prefix must be \"\" or like /tenants/acme: '/'-separated segments of "
        "a-z A-Z 0-9 - _, no trailing '/', not containing kms/xks/v1");
  }
  request.token_id = args.GetOr("token-id", name);
  if (!IsValidName(request.token_id)) {
    throw UsageError("--token-id must be 1..64 of A-Z a-z 0-9 . - _");
  }
  for (const config::TenantConfig& t : cfg.tenants) {
    if (t.name == name) throw OperationError("tenant " + name + " already exists");
    if (t.path_prefix == request.prefix) {
      throw OperationError("prefix " + request.prefix + " is already used by tenant " + t.name);
    }
  }
  if (cfg.hsm.FindToken(request.token_id) != nullptr) {
    throw OperationError("hsm.tokens already has a token with id " + request.token_id +
                         " — give --token-id");
  }
}

// The tenant's token: a new one initialized in a free slot, or an existing one named by label or
// URI. `token_json` describes it for the command's output.
struct TenantToken {
  std::string module_id;
  std::string module_name;
  bool module_added = false;
  std::shared_ptr<pkcs11::Module> module;
  std::string ref;  ///< what hsm.tokens[].token says
  nlohmann::json json;
};

TenantToken PrepareTenantToken(ConfigStore& store, const ParsedArgs& args,
                               const TenantAddRequest& request) {
  TenantToken token;
  ModuleChoice module = ChooseModuleEntry(store, args);
  token.module_name = module.name;
  token.module_id = module.id;
  token.module_added = module.added;
  token.module = OpenModuleOrThrow(module.name, false, module.parameters.value_or(""));
  token.json = {{"id", request.token_id}};
  if (args.Has("init-token")) {
    std::string label = args.GetOr("token-label", "xks-" + request.name);
    if (label.size() > 32) label.resize(32);
    InitializedToken t = InitTokenInFreeSlot(
        *token.module, label, request.pin_file,
        std::filesystem::absolute(args.GetOr("so-pin-file", request.pin_file + ".so")).string());
    token.ref = t.uri;
    token.json["initialized"] = true;
    token.json["serial"] = t.serial;
    token.json["pin_file_created"] = t.pin_file_created;
    token.json["so_pin_file"] = t.so_pin_file;
  } else {
    token.ref = args.Has("token-uri") ? args.Require("token-uri") : args.Require("token-label");
    if (!FileExists(request.pin_file)) {
      throw OperationError("--pin-file " + request.pin_file +
                           " does not exist (an existing token needs "
                           "its user PIN in a 0600 file)");
    }
    token.json["initialized"] = false;
  }
  token.json["token"] = token.ref;
  return token;
}

int RunTenantAdd(Context& ctx, const ParsedArgs& args) {
  TenantAddRequest request = TenantAddArguments(args);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  CheckTenantAdd(args, store->config(), request);
  const std::string& name = request.name;
  const std::string& prefix = request.prefix;
  TenantToken token = PrepareTenantToken(*store, args, request);
  const auto [health_key, health_created] =
      EnsureHealthKey(token.module, token.ref, request.pin_file,
                      args.GetOr("health-key-label", "xks-" + request.name + "-health"));
  token.json["health_check_key"] = health_key;
  token.json["health_check_key_created"] = health_created;

  config::Config& cfg = store->config();
  cfg.hsm.tokens.push_back(config::TokenConfig{
      .id = request.token_id,
      .module_id = token.module_id,
      .token = token.ref,
      .pin = {.kind = config::SecretRef::Kind::kFile, .where = request.pin_file},
      .health_check_key = health_key});
  const std::string out_dir = args.Has("out-dir")
                                  ? std::filesystem::absolute(args.Require("out-dir")).string()
                                  : DefaultCredentialDir(*store, name);
  NewCredential cred = WriteNewCredential(prefix, out_dir, nullptr);
  config::TenantConfig tenant;
  tenant.name = name;
  tenant.path_prefix = prefix;
  tenant.tokens = {request.token_id};
  tenant.credentials.push_back(std::move(cred.config_entry));
  cfg.tenants.push_back(std::move(tenant));
  try {
    store->Save();
  } catch (const OperationError&) {
    std::filesystem::remove(cred.secret_file);
    std::filesystem::remove(cred.console_file);
    throw;
  }
  nlohmann::json reload = SignalReload(ctx, store.get());
  nlohmann::json data = {
      {"tenant", name},
      {"path_prefix", prefix},
      {"uri_path", prefix + std::string(config::kXksApiPath)},
      {"module",
       {{"id", token.module_id}, {"module", token.module_name}, {"added", token.module_added}}},
      {"token", token.json},
      {"credential",
       {{"access_key_id", cred.access_key_id},
        {"secret_file", cred.secret_file},
        {"console_file", cred.console_file}}},
      {"reload", reload}};
  std::ostringstream text;
  text << "added tenant " << name << " (XksProxyUriPath " << prefix << config::kXksApiPath << ")\n"
       << "  token:         " << request.token_id << " = " << token.ref
       << (args.Has("init-token") ? " (initialized)" : "") << "\n"
       << "  health key:    " << health_key << (health_created ? " (created)" : " (existing)")
       << "\n"
       << "  access key id: " << cred.access_key_id << "\n"
       << "  secret file:   " << cred.secret_file << "\n"
       << "  KMS console configuration file: " << cred.console_file << "\n";
  return Emit(ctx, std::move(data), text.str());
}

nlohmann::json TenantSummary(const ConfigStore& store, const config::TenantConfig& t,
                             bool detailed) {
  nlohmann::json out = {{"name", t.name},
                        {"path_prefix", t.path_prefix},
                        {"uri_path", t.path_prefix + std::string(config::kXksApiPath)},
                        {"token", t.primary_token()},
                        {"tokens", t.tokens},
                        {"disabled", t.disabled},
                        {"credentials", t.credentials.size()},
                        {"keys", t.keys.size()}};
  if (!detailed) return out;
  nlohmann::json akids = nlohmann::json::array();
  for (const config::CredentialConfig& c : t.credentials) akids.push_back(c.access_key_id);
  out["access_key_ids"] = akids;
  nlohmann::json keys = nlohmann::json::array();
  for (const config::KeyConfig& k : t.keys) {
    keys.push_back({{"external_key_id", k.external_key_id},
                    {"disabled", k.disabled},
                    {"versions", k.versions.size()}});
  }
  out["key_list"] = keys;
  // Validated configurations always name an existing token (ConfigStore::Open checks).
  // token_detail: the primary member (the shape single-token tenants always had); fleet_detail:
  // every member, primary first.
  nlohmann::json members = nlohmann::json::array();
  for (const std::string& id : t.tokens) {
    const config::TokenConfig* token = store.config().hsm.FindToken(id);
    members.push_back({{"id", id},
                       {"module", token->module_id},
                       {"token", token->token},
                       {"pin", token->pin.Describe()},
                       {"health_check_key", token->health_check_key}});
  }
  out["token_detail"] = members.front();
  out["token_detail"].erase("id");
  out["fleet_detail"] = std::move(members);
  return out;
}

int RunTenantList(Context& ctx, const ParsedArgs&) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json list = nlohmann::json::array();
  std::ostringstream text;
  for (const config::TenantConfig& t : store->config().tenants) {
    text << t.name << "  " << t.path_prefix << config::kXksApiPath
         << "  token=" << JoinTokenIds(t, ",") << "  keys=" << t.keys.size()
         << "  credentials=" << t.credentials.size() << (t.disabled ? "  DISABLED" : "") << "\n";
    list.push_back(TenantSummary(*store, t, false));
  }
  return Emit(ctx, {{"tenants", list}}, text.str());
}

int RunTenantShow(Context& ctx, const ParsedArgs& args) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json s = TenantSummary(*store, store->Tenant(args.Positional(0)), true);
  return Emit(ctx, {{"tenant", s}}, s.dump(2) + "\n");
}

int SetTenantDisabled(Context& ctx, const ParsedArgs& args, bool disabled) {
  const std::string name = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  store->Tenant(name).disabled = disabled;
  nlohmann::json reload = SaveAndReload(ctx, *store);
  return Emit(ctx, {{"tenant", name}, {"disabled", disabled}, {"reload", reload}},
              "tenant " + name + (disabled ? " disabled\n" : " enabled\n"));
}

int RunTenantShred(Context& ctx, const ParsedArgs& args) {
  const std::string name = args.Positional(0);
  return ShredTenant(ctx, args, name);
}

}  // namespace

std::vector<Command> TenantCommands() {
  std::vector<Command> cmds;
  cmds.push_back(
      {"tenant",
       "add",
       "NAME --prefix /P --pin-file F (--init-token [--token-label L] | --token-label L | "
       "--token-uri U) [--token-id ID] [--module softhsm2|PATH [--module-parameters P]] "
       "[--so-pin-file F] [--out-dir DIR] "
       "[--health-key-label L]",
       "Adds a tenant: its hsm.tokens entry (and module entry if needed), a token initialized in "
       "a free slot (--init-token) or an existing one bound by label or PKCS#11 URI, the token's "
       "dedicated AES-256 health-check key, and its first SigV4 credential (as `credential new`).",
       {{"prefix", "/P", "URI path prefix; XksProxyUriPath = /P/kms/xks/v1 (required)"},
        {"pin-file", "F", "user PIN file (0600; created with a random PIN with --init-token)"},
        {"init-token", "", "initialize a new token in a free slot"},
        {"token-label", "L", "token label (new token: default xks-NAME; else an existing token)"},
        {"token-uri", "U", "an existing token's PKCS#11 URI, e.g. pkcs11:token=acme"},
        {"token-id", "ID", "hsm.tokens id (default NAME)"},
        {"module", "M", "PKCS#11 module (default: the configured one, else softhsm2)"},
        {"module-parameters", "P",
         "C_Initialize parameters of a newly added module entry (NSS softokn: "
         "\"configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db' flags=\")"},
        {"so-pin-file", "F", "SO PIN file for --init-token (default <pin-file>.so)"},
        {"out-dir", "DIR", "credential files directory (default <config dir>/credentials/NAME)"},
        {"health-key-label", "L", "health-check key label (default xks-NAME-health)"}},
       1,
       1,
       RunTenantAdd});
  cmds.push_back({"tenant", "list", "", "Lists tenants (never secrets).", {}, 0, 0, RunTenantList});
  cmds.push_back({"tenant",
                  "show",
                  "NAME",
                  "Shows one tenant: prefix, token, credential ids, keys (never secrets).",
                  {},
                  1,
                  1,
                  RunTenantShow});
  cmds.push_back({"tenant",
                  "disable",
                  "NAME",
                  "Disables the tenant: every request answers InvalidStateException.",
                  {},
                  1,
                  1,
                  [](Context& c, const ParsedArgs& a) { return SetTenantDisabled(c, a, true); }});
  cmds.push_back({"tenant",
                  "enable",
                  "NAME",
                  "Re-enables a disabled tenant.",
                  {},
                  1,
                  1,
                  [](Context& c, const ParsedArgs& a) { return SetTenantDisabled(c, a, false); }});
  cmds.push_back(
      {"tenant",
       "shred",
       "NAME [--yes-destroy NAME] [--certificate FILE]",
       "Crypto-shredding: removes the tenant (and its token entry) from the configuration, "
       "reloads the proxy, destroys every key object in its token, proves the keys are gone "
       "(lookup fails, a canary encrypted before no longer decrypts) and writes a signed erasure "
       "certificate. Asks to type NAME on the terminal unless --yes-destroy NAME is given.",
       {{"yes-destroy", "NAME", "confirm without a terminal; must equal NAME"},
        {"certificate", "FILE",
         "erasure certificate path (default <config dir>/erasure-certificates/...)"}},
       1,
       1,
       RunTenantShred});
  return cmds;
}

}  // namespace xks::xksctl
