#include "proxy/config/testing/config_fixture.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace xks::config::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/xks-api-test-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& content, int mode) {
  const std::string full = path_ + "/" + name;
  {
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ::chmod(full.c_str(), static_cast<mode_t>(mode));
  return full;
}

nlohmann::json StandardConfigJson(TempDir& dir) {
  // Built by appending: GCC 12 at -O2 reports a false -Warray-bounds on `std::string(literal) + x`
  // in this translation unit.
  auto line = [](std::string_view text, std::string_view suffix = {}) {
    std::string out(text);
    out.append(suffix);
    out.push_back('\n');
    return out;
  };
  dir.WriteFile("acme.secret", line(kAcmeSecret));
  dir.WriteFile("acme2.secret", line(std::string_view(kAcmeSecret).substr(0, 44), "QQ"));
  dir.WriteFile("globex.secret", line(kGlobexSecret));
  dir.WriteFile("acme.pin", "1234\n");
  dir.WriteFile("globex.pin", "5678\n");
  return nlohmann::json::parse(R"({
    "server": {"insecure": true, "port": 0},
    "hsm": {
      "modules": [{"id": "soft", "module": "softhsm2"}],
      "tokens": [
        {"id": "tok-acme", "module": "soft", "token": "acme", "pin": {"file": "acme.pin"},
         "health_check_key": "hc"},
        {"id": "tok-globex", "module": "soft", "token": "pkcs11:token=globex",
         "pin": {"file": "globex.pin"}, "health_check_key": "hc"}
      ]
    },
    "audit": {"directory": "audit", "instance_id": "test",
              "signer": {"type": "file", "key_file": "audit-signer.pem"}},
    "tenants": [
      {"name": "acme", "path_prefix": "/acme", "token": "tok-acme",
       "credentials": [{"access_key_id": "AKIAACMEACMEACMEACME", "secret": {"file": "acme.secret"}},
                       {"access_key_id": "AKIAACMEROTATEDKEY2345", "secret": {"file": "acme2.secret"}}],
       "keys": {
         "k1": {"label": "acme-k1"},
         "k2": {"versions": [{"version": 1, "label": "acme-k2-v1", "retired": true},
                             {"version": 2, "label": "acme-k2-v2"}]},
         "shared": {"label": "acme-shared"},
         "off": {"label": "acme-off", "disabled": true}
       }},
      {"name": "globex", "path_prefix": "", "token": "tok-globex",
       "credentials": [{"access_key_id": "AKIAGLOBEXGLOBEXGLOB", "secret": {"file": "globex.secret"}}],
       "keys": {"k1": {"label": "globex-k1"}, "shared": {"label": "globex-shared"}}}
    ]
  })");
}

nlohmann::json IssuePolicyJson() {
  return nlohmann::json::parse(R"({
    "mode": "enforce",
    "statements": [
      {"id": "deny-s3-decrypt", "effect": "deny", "operations": ["decrypt"],
       "conditions": {"kmsViaService": ["s3"]}},
      {"id": "acct-ebs", "effect": "allow", "keys": ["k1", "prod-*"],
       "conditions": {"kmsKeyArn": ["arn:aws:kms:*:111122223333:key/*"]}}
    ]})");
}

}  // namespace xks::config::testing
