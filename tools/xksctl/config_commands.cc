// `xksctl config ...`: create a minimal configuration and validate one with the proxy's own
// validator (offline).

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <tuple>

#include "base/openssl.h"
#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

// "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT".
std::pair<std::string, std::uint16_t> ParseListen(const std::string& listen) {
  std::string host = "0.0.0.0", port;
  if (!listen.empty() && listen[0] == '[') {
    auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      throw UsageError("--listen: expected [IPv6]:PORT, got " + listen);
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else if (auto colon = listen.rfind(':'); colon != std::string::npos) {
    if (colon > 0) host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  } else {
    port = listen;
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    throw UsageError("--listen: expected HOST:PORT with a port 0..65535, got " + listen);
  }
  return {host, static_cast<std::uint16_t>(std::stoul(port))};
}

// A P-256 private key as PKCS#8 PEM, for the audit checkpoint signer (type "file").
void WriteAuditSignerKey(const std::string& path) {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw OperationError("cannot generate the audit signing key (OpenSSL)");
  }
  // Viewed in place, not copied with BioContents: the key stays in OpenSSL's secure heap.
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  WriteNewSecretFile(path, std::string_view(data, static_cast<std::size_t>(len)));
}

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "xks-proxy";
  return buf;
}

// The configuration `config init` writes: the listener, empty hsm/tenant lists, and an audit
// section signed with the file key at `signer_key`.
config::Config InitialConfig(const ParsedArgs& args, const std::string& dir,
                             const std::string& signer_key) {
  config::Config cfg;
  std::tie(cfg.server.listen_address, cfg.server.port) =
      ParseListen(args.GetOr("listen", "0.0.0.0:8443"));
  if (args.Has("insecure")) {
    cfg.server.insecure = true;
  } else {
    config::TlsConfig& tls = cfg.server.tls.emplace();
    tls.certificate_chain_file = std::filesystem::absolute(args.Require("tls-cert")).string();
    tls.private_key_file = std::filesystem::absolute(args.Require("tls-key")).string();
  }
  cfg.audit.directory = std::filesystem::absolute(args.GetOr("audit-dir", dir + "/audit")).string();
  cfg.audit.instance_id = args.GetOr("instance-id", Hostname());
  cfg.audit.signer.type = config::SignerConfig::Type::kFile;
  cfg.audit.signer.key_file = signer_key;
  // The account the proxy drops to once its listeners are bound (configuration "process"); the
  // names are checked by the same validation as the rest of the file when it is saved.
  cfg.process.user = args.GetOr("user", "");
  cfg.process.group = args.GetOr("group", "");
  return cfg;
}

int RunConfigInit(Context& ctx, const ParsedArgs& args) {
  const std::string path = std::filesystem::absolute(ctx.RequireConfigPath()).string();
  const bool insecure = args.Has("insecure");
  if (insecure && (args.Has("tls-cert") || args.Has("tls-key"))) {
    throw UsageError("give either --insecure or --tls-cert/--tls-key, not both");
  }
  if (!insecure && !(args.Has("tls-cert") && args.Has("tls-key"))) {
    throw UsageError("give --tls-cert FILE and --tls-key FILE (or --insecure for local tests)");
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const std::string signer_key =
      std::filesystem::absolute(args.GetOr("audit-key", dir + "/audit-signer.pem")).string();
  auto store = ConfigStore::Create(path, InitialConfig(args, dir, signer_key));
  bool key_created = false;
  if (!FileExists(signer_key)) {
    WriteAuditSignerKey(signer_key);
    key_created = true;
  }
  try {
    store->Save();
  } catch (...) {
    if (key_created) std::filesystem::remove(signer_key);
    throw;
  }
  nlohmann::json data = {{"config", path},
                         {"audit_signer_key", signer_key},
                         {"audit_signer_key_created", key_created}};
  std::string text = "created " + path + "\n";
  text += "  audit signer key: " + signer_key + (key_created ? " (new, 0600)\n" : " (existing)\n");
  text += "next: xksctl tenant add NAME --prefix /PREFIX --init-token --pin-file FILE\n";
  return Emit(ctx, std::move(data), text);
}

int RunConfigValidate(Context& ctx, const ParsedArgs&) {
  const std::string& path = ctx.RequireConfigPath();
  auto cfg = config::LoadConfigFile(path);
  if (cfg.ok()) {
    return Emit(ctx, {{"config", path}, {"valid", true}, {"problems", nlohmann::json::array()}},
                path + ": valid (" + std::to_string(cfg.value().tenants.size()) + " tenant(s))\n");
  }
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : cfg.error())
    problems.push_back({{"path", p.path}, {"message", p.Message()}});
  if (ctx.json) {
    *ctx.out << nlohmann::json{{"ok", false},
                               {"config", path},
                               {"valid", false},
                               {"problems", problems}}
                    .dump()
             << "\n";
  } else {
    *ctx.out << path << ": " << cfg.error().size() << " problem(s):\n"
             << FormatProblems(cfg.error());
  }
  return kExitFailed;
}

int RunConfigShow(Context& ctx, const ParsedArgs&) {
  // As the file is, valid or not (`config validate` says what is wrong with it). The file holds
  // only references to secrets ({"file": ...}), never secret values.
  const nlohmann::json doc = ReadConfigDocument(ctx.RequireConfigPath());
  if (ctx.json) return Emit(ctx, {{"config", doc}}, "");
  return Emit(ctx, {}, doc.dump(2) + "\n");
}

}  // namespace

bool IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

nlohmann::json SaveAndReload(Context& ctx, ConfigStore& store) {
  store.Save();
  return SignalReload(ctx, &store);
}

std::vector<Command> ConfigCommands() {
  std::vector<Command> cmds;
  cmds.push_back(
      {"config",
       "init",
       "[--listen HOST:PORT] (--tls-cert F --tls-key F | --insecure) [--audit-dir D] "
       "[--audit-key F] [--instance-id ID] [--user NAME [--group NAME]]",
       "Creates a minimal configuration file at --config (which must not exist): the listener, "
       "empty hsm/tenant lists and an audit section with a new P-256 checkpoint signing key "
       "(0600). Add tenants with `tenant add`.",
       {{"listen", "HOST:PORT", "listener address (default 0.0.0.0:8443)"},
        {"tls-cert", "F", "PEM certificate chain file"},
        {"tls-key", "F", "PEM private key file (mode 0600)"},
        {"insecure", "", "plain HTTP (local tests only)"},
        {"audit-dir", "D", "audit log directory (default <config dir>/audit)"},
        {"audit-key", "F", "audit signer key (default <config dir>/audit-signer.pem; created)"},
        {"instance-id", "ID", "audit instance id (default: host name)"},
        {"user", "NAME", "account the proxy runs as after binding (process.user)"},
        {"group", "NAME", "its group (process.group; default: the user's primary group)"}},
       0,
       0,
       RunConfigInit});
  cmds.push_back({"config",
                  "validate",
                  "",
                  "Validates the configuration with the proxy's own validator (offline) and lists "
                  "every problem with its JSON path. Exit 1 when invalid.",
                  {},
                  0,
                  0,
                  RunConfigValidate});
  cmds.push_back({"config",
                  "show",
                  "",
                  "Prints the configuration (it holds no secret values).",
                  {},
                  0,
                  0,
                  RunConfigShow});
  return cmds;
}

}  // namespace xks::xksctl
