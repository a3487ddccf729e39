#include "proxy/tenant/testing/config_fixture.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace xks::tenant::testing {

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
  dir.WriteFile("acme.secret", std::string(kAcmeSecret) + "\n");
  dir.WriteFile("acme2.secret", std::string(kAcmeSecret).substr(0, 44) + "QQ\n");
  dir.WriteFile("globex.secret", std::string(kGlobexSecret) + "\n");
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
    "audit": {"path": "audit.log"},
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

std::shared_ptr<const TenantRegistry> BuildRegistry(const nlohmann::json& doc,
                                                    const std::string& base_dir) {
  auto cfg = ParseConfig(doc, base_dir);
  if (!cfg.ok()) {
    ADD_FAILURE() << FormatProblems(cfg.error());
    std::abort();
  }
  return TenantRegistry::Build(std::move(cfg).value());
}

}  // namespace xks::tenant::testing
