// The top-level `admin` object (the metrics listener) and `log` object (the log format).
// docs/configuration.md describes both.

#include <arpa/inet.h>

#include "proxy/config/config_checker.h"
#include "proxy/config/config_secret_refs.h"
#include "proxy/config/config_sections.h"
#include "proxy/config/config_writer.h"

namespace xks::config {

bool IsLoopbackAddress(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool AdminConfig::operator==(const AdminConfig& other) const {
  return listen_address == other.listen_address && port == other.port && tls == other.tls &&
         bearer_token_file == other.bearer_token_file &&
         ConstantTimeEquals(bearer_token.span(), other.bearer_token.span());
}

AdminConfig AdminConfig::Clone() const {
  AdminConfig copy;
  copy.listen_address = listen_address;
  copy.port = port;
  copy.tls = tls;
  copy.bearer_token_file = bearer_token_file;
  copy.bearer_token = bearer_token.Clone();
  return copy;
}

namespace parsing {
namespace {

// The metrics say which tenants exist and how busy they are: off the loopback interface they
// travel only encrypted and to a client that proves who it is.
void CheckExposure(const AdminConfig& admin, Checker& c) {
  if (IsLoopbackAddress(admin.listen_address)) return;
  const bool client_certificates = admin.tls && !admin.tls->client_ca_file.empty();
  if (!admin.tls || (admin.bearer_token_file.empty() && !client_certificates)) {
    c.Add("admin.listen_address",
          admin.listen_address +
              " is not a loopback address, and an admin listener elsewhere needs tls and "
              "either bearer_token_file or tls.client_ca_file — add them, or listen on "
              "127.0.0.1");
  }
}

void ReadBearerToken(const std::string& file, AdminConfig& admin, Checker& c) {
  const std::string path = "admin.bearer_token_file";
  auto token = ReadSecret(SecretRef{SecretRef::Kind::kFile, file}, path, c);
  if (!token) return;
  if (token->empty()) {
    c.Add(path, "file " + file +
                    " is empty — write a random token into it (e.g. openssl rand "
                    "-hex 32)");
    return;
  }
  admin.bearer_token = std::move(*token);
}

}  // namespace

void ParseAdmin(const json& a, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "admin";
  c.CheckKnown(a, p, {"listen_address", "port", "tls", "bearer_token_file"});
  AdminConfig admin;
  if (auto v = c.String(a, "listen_address", p, false)) {
    if (v->empty()) c.Add(Join(p, "listen_address"), "empty — give an IP address, e.g. 127.0.0.1");
    admin.listen_address = *v;
  }
  if (auto v = c.Uint(a, "port", p, 0, 65535)) admin.port = static_cast<std::uint16_t>(*v);
  if (const json* t = c.Object(a, "tls", p, false)) {
    admin.tls = ParseTls(*t, Join(p, "tls"), base_dir, c);
  }
  if (auto v = c.String(a, "bearer_token_file", p, false)) {
    admin.bearer_token_file = Resolve(base_dir, *v);
    ReadBearerToken(admin.bearer_token_file, admin, c);
  }
  CheckExposure(admin, c);
  if (admin.port != 0 && admin.port == cfg.server.port &&
      admin.listen_address == cfg.server.listen_address) {
    c.Add(Join(p, "port"),
          "the same address and port as server — give the admin listener a "
          "port of its own, e.g. 9443");
  }
  cfg.admin = std::move(admin);
}

void ParseLog(const json& l, Config& cfg, Checker& c) {
  c.CheckKnown(l, "log", {"format"});
  if (auto v = c.String(l, "format", "log", false)) {
    if (*v != "text" && *v != "json") c.Add("log.format", "must be \"text\" or \"json\"");
    cfg.log.format = *v;
  }
}

void SerializeAdminAndLog(const Config& config, const SerializeOptions& options, json& out) {
  if (config.admin) {
    const AdminConfig& a = *config.admin;
    const AdminConfig d;
    writing::ObjectWriter admin(options);
    admin.Optional("listen_address", a.listen_address, d.listen_address)
        .Optional("port", a.port, d.port);
    if (a.tls) admin.Json("tls", SerializeTls(*a.tls));
    if (!a.bearer_token_file.empty()) admin.Required("bearer_token_file", a.bearer_token_file);
    out["admin"] = admin.Take();
  }
  json log = writing::ObjectWriter(options)
                 .Optional("format", config.log.format, std::string("text"))
                 .Take();
  if (!log.empty()) out["log"] = std::move(log);
}

}  // namespace parsing
}  // namespace xks::config
