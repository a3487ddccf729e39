// `xksctl credential ...`: SigV4 credentials for a tenant and the AWS KMS console file.

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

std::string OutDir(const ConfigStore& store, const ParsedArgs& args, const std::string& tenant) {
  if (auto dir = args.Get("out-dir")) return std::filesystem::absolute(*dir).string();
  return DefaultCredentialDir(store, tenant);
}

int RunCredentialNew(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  config::TenantConfig& t = store->Tenant(tenant);
  SecretBytes secret;
  NewCredential cred = WriteNewCredential(t.path_prefix, OutDir(*store, args, tenant),
                                          args.Has("show-secret") ? &secret : nullptr);
  t.credentials.push_back(std::move(cred.config_entry));
  try {
    store->Save();
  } catch (const OperationError&) {
    // Nothing refers to the new files yet: remove them so no stray secret is left behind.
    std::filesystem::remove(cred.secret_file);
    std::filesystem::remove(cred.console_file);
    throw;
  }
  nlohmann::json reload = SignalReload(ctx, store.get());
  nlohmann::json data = {{"tenant", tenant},
                         {"access_key_id", cred.access_key_id},
                         {"secret_file", cred.secret_file},
                         {"console_file", cred.console_file},
                         {"reload", reload}};
  std::string text = "new credential for tenant " + tenant +
                     "\n  access key id: " + cred.access_key_id +
                     "\n  secret file:   " + cred.secret_file +
                     "\n  KMS console configuration file: " + cred.console_file + "\n";
  if (args.Has("show-secret")) {
    data["secret_access_key"] = std::string(secret.view());
    text += "  secret access key: " + std::string(secret.view()) + "\n";
  }
  return Emit(ctx, std::move(data), text);
}

int RunCredentialList(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const config::CredentialConfig& c : store->Tenant(tenant).credentials) {
    const std::string where = c.secret_ref.Describe();
    text += c.access_key_id + "  " + where + "\n";
    list.push_back({{"access_key_id", c.access_key_id}, {"secret", where}});
  }
  return Emit(ctx, {{"tenant", tenant}, {"credentials", list}}, text);
}

int RunCredentialRevoke(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), akid = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  std::vector<config::CredentialConfig>& creds = store->Tenant(tenant).credentials;
  auto revoked = std::find_if(creds.begin(), creds.end(),
                              [&](const auto& c) { return c.access_key_id == akid; });
  if (revoked == creds.end()) {
    throw OperationError("tenant " + tenant + " has no credential " + akid +
                         " (see `xksctl credential list " + tenant + "`)");
  }
  if (creds.size() == 1) {
    throw OperationError("refusing to revoke the last credential of tenant " + tenant +
                         " — create a new one first (`xksctl credential new " + tenant + "`)");
  }
  std::string secret_file;
  if (revoked->secret_ref.kind == config::SecretRef::Kind::kFile) {
    secret_file = revoked->secret_ref.where;
  }
  creds.erase(revoked);
  nlohmann::json reload = SaveAndReload(ctx, *store);
  nlohmann::json data = {{"tenant", tenant}, {"access_key_id", akid}, {"reload", reload}};
  std::string text = "revoked credential " + akid + " of tenant " + tenant + "\n";
  if (args.Has("delete-files") && !secret_file.empty()) {
    std::filesystem::remove(secret_file);
    std::string console = secret_file;
    if (console.size() > 7 && console.ends_with(".secret")) {
      console.resize(console.size() - 7);
      std::filesystem::remove(console + ".kms-console.json");
    }
    data["deleted_files"] = true;
    text += "  deleted " + secret_file + "\n";
  }
  return Emit(ctx, std::move(data), text);
}

}  // namespace

std::string DefaultCredentialDir(const ConfigStore& store, const std::string& tenant) {
  return store.BaseDir() + "/credentials/" + tenant;
}

NewCredential WriteNewCredential(const std::string& path_prefix, const std::string& out_dir,
                                 SecretBytes* secret_out) {
  MakePrivateDirectories(out_dir);
  NewCredential out;
  out.access_key_id = NewAccessKeyId();
  SecretBytes secret = NewSecretAccessKey();
  if (!config::IsValidAccessKeyId(out.access_key_id) ||
      !config::IsValidSecretAccessKey(secret.view())) {
    throw OperationError("internal: generated credential does not match the XKS spec format");
  }
  out.secret_file = out_dir + "/" + out.access_key_id + ".secret";
  out.console_file = out_dir + "/" + out.access_key_id + ".kms-console.json";
  WriteNewSecretFile(out.secret_file, secret.view());
  // XKS spec, "XKS proxy configuration in AWS KMS console". It necessarily holds the raw secret,
  // hence 0600 like the secret file. nlohmann copies the string; the copy dies with `console`.
  nlohmann::json console = {
      {"XksProxyUriPath", path_prefix + std::string(config::kXksApiPath)},
      {"XksProxyAuthenticationCredential",
       {{"AccessKeyId", out.access_key_id}, {"RawSecretAccessKey", std::string(secret.view())}}}};
  std::string text = console.dump(4);
  try {
    WriteNewSecretFile(out.console_file, text);
  } catch (...) {
    explicit_bzero(text.data(), text.size());
    std::filesystem::remove(out.secret_file);
    throw;
  }
  explicit_bzero(text.data(), text.size());
  // The secret itself is read back from the file when the configuration is saved and validated.
  out.config_entry.access_key_id = out.access_key_id;
  out.config_entry.secret_ref = {.kind = config::SecretRef::Kind::kFile, .where = out.secret_file};
  if (secret_out != nullptr) *secret_out = std::move(secret);
  return out;
}

std::vector<Command> CredentialCommands() {
  std::vector<Command> cmds;
  cmds.push_back(
      {"credential",
       "new",
       "TENANT [--out-dir DIR] [--show-secret]",
       "Creates a SigV4 credential for TENANT: a 24-character access key id (XKS + Base32) and a "
       "256-bit secret (Base64, 44 characters) in DIR/<AKID>.secret (0600), plus the AWS KMS "
       "console configuration file DIR/<AKID>.kms-console.json (0600). Prints the access key id "
       "and file paths; the secret only with --show-secret.",
       {{"out-dir", "DIR", "where to write the files (default <config dir>/credentials/TENANT)"},
        {"show-secret", "", "also print the secret access key"}},
       1,
       1,
       RunCredentialNew});
  cmds.push_back({"credential",
                  "list",
                  "TENANT",
                  "Lists the tenant's access key ids and where their secrets are (never secrets).",
                  {},
                  1,
                  1,
                  RunCredentialList});
  cmds.push_back({"credential",
                  "revoke",
                  "TENANT ACCESS_KEY_ID [--delete-files]",
                  "Removes a credential from the tenant (refused for its last credential).",
                  {{"delete-files", "", "also delete the secret and console files"}},
                  2,
                  2,
                  RunCredentialRevoke});
  return cmds;
}

}  // namespace xks::xksctl
