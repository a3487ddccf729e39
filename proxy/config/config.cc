#include "proxy/config/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "proxy/config/config_checker.h"
#include "proxy/config/config_sections.h"

namespace xks::config {

using nlohmann::json;
using parsing::Checker;
using parsing::IsAlnum;
using parsing::kMaxPathPrefixTotal;
using parsing::ParseApi;
using parsing::ParseHsm;
using parsing::ParseServer;
using parsing::ParseTenants;
using parsing::Resolve;

std::string SecretRef::Describe() const { return (kind == Kind::kFile ? "file:" : "env:") + where; }

const TokenConfig* HsmConfig::FindToken(std::string_view id) const {
  for (const auto& t : tokens) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const ModuleConfig* HsmConfig::FindModule(std::string_view id) const {
  for (const auto& m : modules) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool IsValidExternalKeyId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '-' || ch == '.' || ch == '_'; });
}

bool IsValidAccessKeyId(std::string_view id) {
  if (id.size() < 20 || id.size() > 30) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7'); });
}

bool IsValidSecretAccessKey(std::string_view s) {
  if (s.size() < 43 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '+' || ch == '/' || ch == '='; });
}

bool IsValidPathPrefix(std::string_view prefix) {
  if (prefix.empty()) return true;
  if (prefix.size() + kXksApiPath.size() > kMaxPathPrefixTotal) return false;
  if (prefix.front() != '/' || prefix.back() == '/') return false;
  char prev = 0;
  for (char ch : prefix) {
    if (!(IsAlnum(ch) || ch == '/' || ch == '-' || ch == '_')) return false;
    if (ch == '/' && prev == '/') return false;
    prev = ch;
  }
  // A prefix containing the API path would make the router's split ambiguous.
  return (std::string(prefix) + "/").find("/kms/xks/v1/") == std::string::npos;
}

bool CredentialConfig::operator==(const CredentialConfig& other) const {
  return access_key_id == other.access_key_id && secret_ref == other.secret_ref &&
         ConstantTimeEquals(secret.span(), other.secret.span());
}

Result<Config, Problems> ParseConfig(const nlohmann::json& document, std::string_view base_dir) {
  Checker c;
  Config cfg;
  if (!document.is_object()) {
    c.Add("$", "the configuration must be a JSON object");
    return Fail(c.Take());
  }
  c.CheckKnown(document, "",
               {"process", "server", "api", "hsm", "audit", "tenants", "admin", "log"});
  if (const json* p = c.Object(document, "process", "", false)) ParseProcess(*p, cfg, c);
  if (const json* s = c.Object(document, "server", "", true)) ParseServer(*s, base_dir, cfg, c);
  if (const json* a = c.Object(document, "api", "", false)) ParseApi(*a, cfg, c);
  if (const json* h = c.Object(document, "hsm", "", true)) ParseHsm(*h, base_dir, cfg, c);
  if (const json* a = c.Object(document, "audit", "", true)) {
    auto audit = ParseAuditConfig(*a, "audit");
    if (audit.ok()) {
      cfg.audit = std::move(audit).value();
      // Like every other path of the file (docs/configuration.md).
      cfg.audit.directory = Resolve(base_dir, cfg.audit.directory);
      if (cfg.audit.signer.type == SignerConfig::Type::kFile) {
        cfg.audit.signer.key_file = Resolve(base_dir, cfg.audit.signer.key_file);
      }
      if (cfg.audit.admin_socket && !cfg.audit.admin_socket->empty()) {
        cfg.audit.admin_socket = Resolve(base_dir, *cfg.audit.admin_socket);
      }
      if (AdminSocketPath(cfg.audit).size() > kMaxAdminSocketPath) {
        c.Add("audit.admin_socket",
              "the socket path " + AdminSocketPath(cfg.audit) + " is longer than " +
                  std::to_string(kMaxAdminSocketPath) +
                  " bytes, which a Unix socket cannot have — set audit.admin_socket to a shorter "
                  "path (e.g. /run/xks-proxy/admin.sock), or \"\" for no socket");
      }
    } else {
      c.Append(std::move(audit).error());
    }
  }
  if (const json* t = c.Array(document, "tenants", "", true)) ParseTenants(*t, base_dir, cfg, c);
  if (const json* a = c.Object(document, "admin", "", false)) {
    parsing::ParseAdmin(*a, base_dir, cfg, c);
  }
  if (const json* l = c.Object(document, "log", "", false)) parsing::ParseLog(*l, cfg, c);
  if (!c.empty()) return Fail(c.Take());
  std::sort(cfg.tenants.begin(), cfg.tenants.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return cfg;
}

Result<Config, Problems> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(
        Problems{MakeProblem("$", "cannot read " + path, "check the path and permissions")});
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  json doc = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Fail(
        Problems{MakeProblem("$", path + " is not valid JSON", "check commas, quotes and braces")});
  }
  std::string dir;
  if (auto slash = path.rfind('/'); slash != std::string::npos) {
    dir = path.substr(0, slash == 0 ? 1 : slash);
  } else {
    dir = ".";
  }
  auto cfg = ParseConfig(doc, dir);
  if (cfg.ok()) cfg.value().source_path = path;
  return cfg;
}

}  // namespace xks::config
