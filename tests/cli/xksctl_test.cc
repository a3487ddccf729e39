// End-to-end tests of the xksctl binary against a throw-away SoftHSMv2 (tests/support): every
// command runs as a subprocess exactly as an operator would run it, and the results are checked
// in the configuration file, in the files written, and in the HSM through the pkcs11 facade.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11/hsm.h"
#include "proxy/audit/audit_crypto.h"
#include "proxy/audit/checkpoint_signer.h"
#include "proxy/audit/erasure_certificate.h"
#include "proxy/config/config.h"
#include "tests/cli/subprocess.h"
#include "tests/support/softhsm_sandbox.h"

namespace {

using nlohmann::json;

using RunResult = xks::testing::ProcessResult;
using xks::testing::ReadFile;

// True when `s` has min..max characters, each in `allowed` (std::regex trips a GCC 12
// -Wmaybe-uninitialized false positive in the sanitizer build).
bool Matches(const std::string& s, std::string_view allowed, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  return s.find_first_not_of(allowed) == std::string::npos;
}
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

unsigned Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0xffffffff;
  return st.st_mode & 07777;
}

class XksctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = xks::testing::SoftHsmSandbox::Create({"preexisting"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    dir_ = sandbox_->dir();
    config_ = dir_ + "/xks.json";
    module_ = xks::testing::SoftHsmSandbox::ModulePath();
  }
  void TearDown() override { sandbox_.reset(); }

  // Runs the built binary with `args`; stdin is /dev/null (no terminal for confirmations).
  RunResult Run(const std::vector<std::string>& args, bool with_config = true) {
    // Built front to back: inserting at begin() trips a GCC 12 -Warray-bounds false positive.
    std::vector<std::string> command{XKSCTL_BINARY};
    if (with_config) {
      command.push_back("--config");
      command.push_back(config_);
    }
    command.insert(command.end(), args.begin(), args.end());
    return xks::testing::RunProcess(command, dir_);
  }

  json Config() { return json::parse(ReadFile(config_)); }

  void InitConfig() {
    RunResult r = Run({"config", "init", "--listen", "127.0.0.1:0", "--insecure", "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }

  // Adds a tenant on a freshly initialized token; returns the --json answer.
  json AddTenant(const std::string& name, const std::string& prefix) {
    RunResult r = Run({"tenant", "add", name, "--prefix", prefix, "--module", module_,
                       "--init-token", "--pin-file", dir_ + "/" + name + ".pin", "--json"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return r.Json();
  }

  // Opens the tenant's token in-process as the proxy would (URI and PIN file from the config).
  // Makes an ECDSA P-256 key pair "audit-signer" in the sandbox token "preexisting" and points
  // cfg's audit.signer at it (type pkcs11, a token of its own), then saves cfg.
  void UseHsmAuditSigner(json& cfg) {
    auto module = xks::pkcs11::OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    auto token =
        xks::pkcs11::TokenClient::Open(module.value(), sandbox_->token_config("preexisting"));
    ASSERT_TRUE(token.ok()) << token.error().ToLogString();
    const std::uint8_t id[] = {7};
    ASSERT_TRUE(
        token.value()->GenerateEcP256KeyPair("audit-signer", id, xks::testing::FarDeadline()).ok());
    cfg["hsm"]["modules"].push_back({{"id", "audit-module"}, {"module", module_}});
    cfg["hsm"]["tokens"].push_back(
        {{"id", "audit-token"},
         {"module", "audit-module"},
         {"token", "preexisting"},
         {"pin", {{"file", sandbox_->token("preexisting").user_pin_file}}},
         // Required of every token by the schema (xksctl reads the configuration as the proxy
         // does).
         {"health_check_key", "audit-token-health"}});
    cfg["audit"]["signer"] = {
        {"type", "pkcs11"}, {"token", "audit-token"}, {"key_label", "audit-signer"}};
    std::ofstream(config_) << cfg.dump(2);
  }

  std::unique_ptr<xks::pkcs11::TokenClient> OpenToken(const std::string& tenant) {
    json cfg = Config();
    std::string token_id;
    for (const auto& t : cfg["tenants"]) {
      if (t["name"] == tenant) token_id = t["token"];
    }
    for (const auto& t : cfg["hsm"]["tokens"]) {
      if (t["id"] != token_id) continue;
      if (!module_handle_) {
        auto m = xks::pkcs11::OpenModule(sandbox_->module_config());
        EXPECT_TRUE(m.ok());
        if (!m.ok()) return nullptr;
        module_handle_ = m.value();
      }
      xks::pkcs11::TokenConfig tc;
      tc.token = t["token"];
      tc.pin = xks::pkcs11::PinSource::File(t["pin"]["file"]);
      auto c = xks::pkcs11::TokenClient::Open(module_handle_, tc);
      EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().ToLogString());
      if (!c.ok()) return nullptr;
      return std::move(c).value();
    }
    ADD_FAILURE() << "tenant " << tenant << " has no token in the config";
    return nullptr;
  }

  std::unique_ptr<xks::testing::SoftHsmSandbox> sandbox_;
  std::shared_ptr<xks::pkcs11::Module> module_handle_;
  std::string dir_, config_, module_;
};

TEST_F(XksctlTest, HelpUsageErrorsAndExitCodes) {
  RunResult r = Run({"--help"}, false);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("xksctl tenant shred"), std::string::npos) << r.out;
  r = Run({"key", "create", "--help"}, false);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--usage"), std::string::npos);
  r = Run({"key", "create", "only-one-arg"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = Run({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  r = Run({"key", "list", "t", "--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos);
  // An operation failure is 1, with a JSON error object under --json.
  r = Run({"tenant", "list", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.Json()["ok"], false);
  EXPECT_TRUE(r.Json()["error"].is_string());
  // No configuration at all is a usage error.
  r = Run({"tenant", "list"}, false);
  EXPECT_EQ(r.code, 2);
}

TEST_F(XksctlTest, TokenInitCreatesRandomPinFilesAndRefusesDuplicateLabel) {
  const std::string pin = dir_ + "/t1.pin";
  RunResult r = Run(
      {"token", "init", "--module", module_, "--label", "t1", "--pin-file", pin, "--json"}, false);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json j = r.Json();
  EXPECT_EQ(j["label"], "t1");
  EXPECT_TRUE(j["pin_file_created"].get<bool>());
  EXPECT_EQ(Mode(pin), 0600u);
  EXPECT_EQ(Mode(pin + ".so"), 0600u);
  std::string user_pin = ReadFile(pin), so_pin = ReadFile(pin + ".so");
  EXPECT_TRUE(user_pin.size() == 33 && user_pin.back() == '\n' &&
              Matches(user_pin.substr(0, 32), "0123456789abcdef", 32, 32))
      << "PIN format";
  EXPECT_NE(user_pin, so_pin);
  EXPECT_EQ(r.out.find(user_pin.substr(0, 32)), std::string::npos) << "PIN printed";

  // The token works with that PIN.
  auto m = xks::pkcs11::OpenModule(sandbox_->module_config());
  ASSERT_TRUE(m.ok());
  xks::pkcs11::TokenConfig tc;
  tc.token = j["uri"];
  tc.pin = xks::pkcs11::PinSource::File(pin);
  EXPECT_TRUE(xks::pkcs11::TokenClient::Open(m.value(), tc).ok());

  r = Run({"token", "list", "--module", module_, "--json"}, false);
  ASSERT_EQ(r.code, 0);
  bool found = false;
  const json slots = r.Json()["slots"];
  for (const auto& s : slots) {
    found = found || (s["label"] == "t1" && s["initialized"].get<bool>());
  }
  EXPECT_TRUE(found) << r.out;

  r = Run({"token", "init", "--module", module_, "--label", "t1", "--pin-file", dir_ + "/x.pin"},
          false);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
}

// An existing PIN file goes through base/secret_file (xksctl's ReadSecretFile): group-readable,
// also behind a symlink (followed, like the proxy does), it is refused with the fix and no token
// is initialized.
TEST_F(XksctlTest, TokenInitRefusesAGroupReadablePinFileAlsoBehindASymlink) {
  const std::string pin = dir_ + "/loose.pin", link = dir_ + "/linked.pin";
  std::ofstream(pin) << "0123456789abcdef0123456789abcdef\n";
  ASSERT_EQ(::chmod(pin.c_str(), 0640), 0);
  ASSERT_EQ(::symlink(pin.c_str(), link.c_str()), 0);
  for (const std::string& file : {pin, link}) {
    RunResult r =
        Run({"token", "init", "--module", module_, "--label", "loose", "--pin-file", file}, false);
    EXPECT_EQ(r.code, 1) << file;
    EXPECT_NE(r.err.find(file +
                         " must be a regular file of at most 4096 bytes with mode 0600 "
                         "(run: chmod 600 " +
                         file + ")"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("0123456789abcdef"), std::string::npos) << "the PIN was printed";
  }
  RunResult list = Run({"token", "list", "--module", module_, "--json"}, false);
  EXPECT_EQ(list.out.find("\"loose\""), std::string::npos) << "a token was initialized";
}

// `config init --user/--group` writes the account the proxy drops to; a group without a user, or
// a name that is no user name, is refused by the same validation and writes nothing.
TEST_F(XksctlTest, ConfigInitWritesTheProcessAccount) {
  RunResult r = Run({"config", "init", "--listen", "127.0.0.1:0", "--insecure", "--group", "xks"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("process.group"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(config_));
  r = Run({"config", "init", "--listen", "127.0.0.1:0", "--insecure", "--user", "Not A User"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("process.user"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(config_));
  r = Run({"config", "init", "--listen", "127.0.0.1:0", "--insecure", "--user", "xks-proxy",
           "--group", "xks"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(Config()["process"], (json{{"user", "xks-proxy"}, {"group", "xks"}}));
  auto loaded = xks::config::LoadConfigFile(config_);
  ASSERT_TRUE(loaded.ok()) << xks::FormatProblems(loaded.error());
  EXPECT_EQ(loaded->process.user, "xks-proxy");
  EXPECT_EQ(loaded->process.group, "xks");
}

TEST_F(XksctlTest, ConfigInitThenTenantAddProducesAValidConfig) {
  InitConfig();
  // Just after init there is no tenant yet: an idle proxy is a valid configuration (it is also
  // what remains after the last tenant is shredded).
  RunResult r = Run({"config", "validate", "--json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(r.Json()["valid"].get<bool>()) << r.out;
  EXPECT_TRUE(r.Json()["problems"].empty()) << r.out;

  json added = AddTenant("acme", "/tenants/acme");
  EXPECT_EQ(added["uri_path"], "/tenants/acme/kms/xks/v1");
  EXPECT_TRUE(added["token"]["initialized"].get<bool>());
  r = Run({"config", "validate", "--json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(r.Json()["valid"].get<bool>());
  // The server's own loader agrees.
  auto loaded = xks::config::LoadConfigFile(config_);
  ASSERT_TRUE(loaded.ok()) << xks::FormatProblems(loaded.error());
  ASSERT_EQ(loaded.value().tenants.size(), 1u);
  EXPECT_EQ(loaded.value().tenants[0].credentials.size(), 1u);
  EXPECT_FALSE(loaded.value().audit.directory.empty());
  EXPECT_FALSE(loaded.value().audit.signer.key_file.empty());

  // The health-check key exists, is AES-256, sensitive and not extractable.
  auto token = OpenToken("acme");
  ASSERT_NE(token, nullptr);
  auto hc = token->DescribeKey(Config()["hsm"]["tokens"][0]["health_check_key"].get<std::string>(),
                               xks::testing::FarDeadline());
  ASSERT_TRUE(hc.ok());
  EXPECT_EQ(hc->value_len, 32u);
  EXPECT_TRUE(hc->sensitive);
  EXPECT_FALSE(hc->extractable);

  // Duplicates are refused before anything is created.
  r = Run({"tenant", "add", "acme", "--prefix", "/other", "--module", module_, "--init-token",
           "--pin-file", dir_ + "/dup.pin"});
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/dup.pin"));
  r = Run({"tenant", "add", "beta", "--prefix", "/tenants/acme", "--module", module_,
           "--init-token", "--pin-file", dir_ + "/dup.pin"});
  EXPECT_EQ(r.code, 1);
  r = Run({"tenant", "add", "beta", "--prefix", "/bad/", "--module", module_, "--init-token",
           "--pin-file", dir_ + "/dup.pin"});
  EXPECT_EQ(r.code, 2);

  // An existing token can be bound by label with its PIN file.
  r = Run({"tenant", "add", "pre", "--prefix", "/pre", "--module", module_, "--token-label",
           "preexisting", "--pin-file", sandbox_->token("preexisting").user_pin_file, "--json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_FALSE(r.Json()["token"]["initialized"].get<bool>());

  r = Run({"tenant", "list", "--json"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.Json()["tenants"].size(), 2u);
  r = Run({"tenant", "show", "acme", "--json"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.Json()["tenant"]["access_key_ids"].size(), 1u);
  EXPECT_EQ(r.out.find("RawSecretAccessKey"), std::string::npos);
  // health: a malformed endpoint is a usage error; an unreachable proxy an operation failure.
  EXPECT_EQ(Run({"health", "--endpoint", "ftp://x", "--tenant", "acme"}).code, 2);
  r = Run({"health", "--endpoint", "http://127.0.0.1:1", "--tenant", "acme", "--timeout", "5"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("GetHealthStatus"), std::string::npos) << r.err;
}

TEST_F(XksctlTest, CredentialFilesFollowTheSpec) {
  InitConfig();
  json added = AddTenant("acme", "/tenants/acme");
  RunResult r = Run({"credential", "new", "acme", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json c = r.Json();
  const std::string akid = c["access_key_id"];
  EXPECT_TRUE(Matches(akid, kBase32, 20, 30)) << akid;
  EXPECT_TRUE(xks::config::IsValidAccessKeyId(akid));
  EXPECT_EQ(Mode(c["secret_file"]), 0600u);
  EXPECT_EQ(Mode(c["console_file"]), 0600u);
  std::string secret = ReadFile(c["secret_file"]);
  ASSERT_FALSE(secret.empty());
  secret.pop_back();
  EXPECT_TRUE(Matches(secret, kBase64, 43, 64)) << secret.size();
  EXPECT_EQ(secret.size(), 44u);  // Base64 of 32 random bytes
  EXPECT_EQ(r.out.find(secret), std::string::npos) << "secret printed without --show-secret";
  json console = json::parse(ReadFile(c["console_file"]));
  EXPECT_EQ(console["XksProxyUriPath"], "/tenants/acme/kms/xks/v1");
  EXPECT_EQ(console["XksProxyAuthenticationCredential"]["AccessKeyId"], akid);
  EXPECT_EQ(console["XksProxyAuthenticationCredential"]["RawSecretAccessKey"], secret);
  EXPECT_EQ(console.size(), 2u);
  EXPECT_EQ(console["XksProxyAuthenticationCredential"].size(), 2u);

  // Two credentials never collide.
  EXPECT_NE(akid, added["credential"]["access_key_id"]);
  r = Run({"credential", "list", "acme", "--json"});
  EXPECT_EQ(r.Json()["credentials"].size(), 2u);
  r = Run({"credential", "new", "acme", "--show-secret", "--json"});
  ASSERT_EQ(r.code, 0);
  EXPECT_TRUE(
      xks::config::IsValidSecretAccessKey(r.Json()["secret_access_key"].get<std::string>()));

  // Revoke: the config loses it; the last credential cannot be revoked.
  r = Run({"credential", "revoke", "acme", akid, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json after_revoke = Config();
  for (const auto& cr : after_revoke["tenants"][0]["credentials"]) {
    EXPECT_NE(cr["access_key_id"], akid);
  }
  r = Run({"credential", "revoke", "acme", akid});
  EXPECT_EQ(r.code, 1);
  json creds = Config()["tenants"][0]["credentials"];
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(Run({"credential", "revoke", "acme", creds[0]["access_key_id"]}).code, 0);
  r = Run({"credential", "revoke", "acme", creds[1]["access_key_id"]});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("last credential"), std::string::npos);
}

TEST_F(XksctlTest, KeyCreateUsageVariantsAreEnforcedInTheHsm) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  struct Case {
    std::string id, usage;
    bool encrypt, decrypt;
  };
  std::vector<Case> cases = {{"k-both", "encrypt,decrypt", true, true},
                             {"k-enc", "encrypt", true, false},
                             {"k-dec", "decrypt", false, true},
                             {"k-none", "none", false, false}};
  for (const auto& c : cases) {
    RunResult r = Run({"key", "create", "acme", c.id, "--usage", c.usage, "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.Json()["label"], "xks-acme-" + c.id + "-v1");
  }
  EXPECT_EQ(Run({"key", "create", "acme", "k-both"}).code, 1);  // exists
  EXPECT_EQ(Run({"key", "create", "acme", "bad/id"}).code, 2);  // invalid id
  EXPECT_EQ(Run({"key", "create", "acme", "k5", "--usage", "sign"}).code, 2);
  EXPECT_EQ(Run({"key", "create", "nobody", "k5"}).code, 1);

  auto token = OpenToken("acme");
  ASSERT_NE(token, nullptr);
  for (const auto& c : cases) {
    auto info = token->DescribeKey("xks-acme-" + c.id + "-v1", xks::testing::FarDeadline());
    ASSERT_TRUE(info.ok()) << c.id;
    EXPECT_EQ(info->key_class, xks::pkcs11::KeyClass::kSecret);
    EXPECT_EQ(info->key_type, xks::pkcs11::KeyType::kAes);
    EXPECT_EQ(info->value_len, 32u);
    EXPECT_TRUE(info->sensitive) << c.id;
    EXPECT_FALSE(info->extractable) << c.id;
    EXPECT_EQ(info->usage.encrypt, c.encrypt) << c.id;
    EXPECT_EQ(info->usage.decrypt, c.decrypt) << c.id;
    EXPECT_FALSE(info->usage.wrap);
    EXPECT_FALSE(info->usage.unwrap);
  }
  token.reset();
  module_handle_.reset();

  RunResult r = Run({"key", "list", "acme", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json keys = r.Json()["keys"];
  ASSERT_EQ(keys.size(), 4u);
  for (const auto& k : keys) {
    EXPECT_EQ(k["status"], "ENABLED");
    EXPECT_EQ(k["current_version"], 1);
    EXPECT_FALSE(k["created"].get<std::string>().empty());
    if (k["external_key_id"] == "k-enc") {
      EXPECT_EQ(k["usage"], "encrypt");
    }
    if (k["external_key_id"] == "k-none") {
      EXPECT_EQ(k["usage"], "none");
    }
  }

  // disable/enable are reflected in the config and the server's view of it.
  ASSERT_EQ(Run({"key", "disable", "acme", "k-both"}).code, 0);
  EXPECT_TRUE(Config()["tenants"][0]["keys"]["k-both"]["disabled"].get<bool>());
  auto loaded = xks::config::LoadConfigFile(config_);
  ASSERT_TRUE(loaded.ok());
  for (const auto& k : loaded.value().tenants[0].keys) {
    EXPECT_EQ(k.disabled, k.external_key_id == "k-both");
  }
  r = Run({"key", "list", "acme", "--no-hsm", "--json"});
  const json listed = r.Json();
  for (const auto& k : listed["keys"]) {
    EXPECT_EQ(k["status"], k["external_key_id"] == "k-both" ? "DISABLED" : "ENABLED");
  }
  ASSERT_EQ(Run({"key", "enable", "acme", "k-both"}).code, 0);
  EXPECT_FALSE(Config()["tenants"][0]["keys"]["k-both"].contains("disabled"));
  EXPECT_EQ(Run({"key", "disable", "acme", "nope"}).code, 1);
}

TEST_F(XksctlTest, RotateVersionsAndRetire) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  ASSERT_EQ(Run({"key", "create", "acme", "k1", "--usage", "encrypt"}).code, 0);
  RunResult r = Run({"key", "rotate", "acme", "k1", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["version"], 2);
  EXPECT_EQ(r.Json()["label"], "xks-acme-k1-v2");
  EXPECT_EQ(r.Json()["usage"], "encrypt");  // inherited from v1

  auto loaded = xks::config::LoadConfigFile(config_);
  ASSERT_TRUE(loaded.ok()) << xks::FormatProblems(loaded.error());
  ASSERT_EQ(loaded.value().tenants[0].keys[0].versions.size(), 2u);
  EXPECT_EQ(loaded.value().tenants[0].keys[0].versions[1].label, "xks-acme-k1-v2");

  r = Run({"key", "versions", "acme", "k1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.Json()["current_version"], 2);
  ASSERT_EQ(r.Json()["versions"].size(), 2u);
  EXPECT_TRUE(r.Json()["versions"][1]["present"].get<bool>());

  // Write a fake audit record so the retire report has something to count.
  json cfg = Config();
  const std::string audit_dir = cfg["audit"]["directory"];
  std::filesystem::create_directories(audit_dir);
  {
    std::ofstream f(audit_dir + "/audit-00000000000000000001.jsonl");
    for (int i = 0; i < 3; ++i) {
      f << json{{"type", "request"},     {"operation", "Encrypt"},       {"tenant", "acme"},
                {"externalKeyId", "k1"}, {"keyLabel", "xks-acme-k1-v1"}, {"result", "OK"}}
               .dump()
        << "\n";
    }
    f << json{{"type", "request"},     {"operation", "Decrypt"},       {"tenant", "acme"},
              {"externalKeyId", "k1"}, {"keyLabel", "xks-acme-k1-v1"}, {"result", "OK"}}
             .dump()
      << "\n";
  }
  r = Run({"key", "retire-version", "acme", "k1", "1", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["audited_encrypts"]["ok"], 3);
  EXPECT_TRUE(Config()["tenants"][0]["keys"]["k1"]["versions"][0]["retired"].get<bool>());
  // Retiring the last active version would leave nothing to encrypt with: refused, unchanged.
  const std::string before = ReadFile(config_);
  r = Run({"key", "retire-version", "acme", "k1", "2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("retired"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);
  EXPECT_EQ(Run({"key", "retire-version", "acme", "k1", "1"}).code, 1);  // already
  EXPECT_EQ(Run({"key", "retire-version", "acme", "k1", "9"}).code, 1);
}

TEST_F(XksctlTest, ValidateReportsEveryProblemWithItsPath) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  json cfg = Config();
  cfg["tenants"][0]["keys"]["k1"] = {{"label", ""}};
  cfg["tenants"][0]["path_prefix"] = "/bad/";
  ::chmod(cfg["tenants"][0]["credentials"][0]["secret"]["file"].get<std::string>().c_str(), 0644);
  std::ofstream(config_) << cfg.dump(2);
  RunResult r = Run({"config", "validate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("tenants[0].keys.k1.label"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tenants[0].path_prefix"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tenants[0].credentials[0].secret.file"), std::string::npos) << r.out;
  // A change on top of a broken config is refused and the file is left alone.
  const std::string before = ReadFile(config_);
  r = Run({"tenant", "disable", "acme"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);
  std::ofstream(config_) << "{ not json";
  r = Run({"config", "validate", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.Json()["problems"][0]["path"], "$");
}

TEST_F(XksctlTest, EditsKeepWhatTheOperatorWroteByHand) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  json cfg = Config();
  cfg["_comment"] = "owned by the key-management team";
  cfg["tenants"][0]["_ticket"] = "SEC-1234";
  cfg["server"]["worker_threads"] = xks::config::ServerConfig{}.worker_threads;  // the default
  json& secret = cfg["tenants"][0]["credentials"][0]["secret"]["file"];
  const std::string absolute = secret;
  ASSERT_EQ(absolute.rfind(dir_ + "/", 0), 0u) << absolute;
  secret = absolute.substr(dir_.size() + 1);  // relative to the configuration's directory
  std::ofstream(config_) << cfg.dump(2);

  RunResult r = Run({"key", "create", "acme", "k1", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json after = Config();
  EXPECT_EQ(after["_comment"], cfg["_comment"]);
  EXPECT_EQ(after["tenants"][0]["_ticket"], "SEC-1234");
  EXPECT_EQ(after["server"]["worker_threads"], cfg["server"]["worker_threads"]);
  EXPECT_EQ(after["tenants"][0]["credentials"][0]["secret"]["file"], secret);
  EXPECT_FALSE(after["server"].contains("queue_limit")) << "defaults nobody wrote stay out";
  const json version = after["tenants"][0]["keys"]["k1"]["versions"][0];
  EXPECT_EQ(version["label"], "xks-acme-k1-v1");
  EXPECT_EQ(version["_created"], r.Json()["created"]);
  EXPECT_EQ(Run({"config", "validate"}).code, 0);

  // `config show` prints the file as it is, even when it no longer validates.
  cfg = after;
  cfg["server"]["colour"] = "blue";
  std::ofstream(config_) << cfg.dump(2);
  r = Run({"config", "show", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.Json()["config"]["server"]["colour"], "blue");
  EXPECT_EQ(Run({"tenant", "list"}).code, 1) << "a broken file is not read as if it were valid";
}

TEST_F(XksctlTest, ChangesKeepTheFileModeAndSignalTheProxy) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  ::chmod(config_.c_str(), 0600);
  // A stand-in for the proxy: waits for SIGHUP.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigset_t old;
  ::pthread_sigmask(SIG_BLOCK, &set, &old);
  pid_t child = ::fork();
  if (child == 0) {
    int sig = 0;
    ::sigwait(&set, &sig);
    ::_exit(sig == SIGHUP ? 42 : 1);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  const std::string pid_file = dir_ + "/proxy.pid";
  std::ofstream(pid_file) << child << "\n";
  RunResult r = Run({"--pid-file", pid_file, "tenant", "disable", "acme", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.Json()["reload"]["signalled"], child);
  int status = 0;
  for (int i = 0; i < 100 && ::waitpid(child, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "proxy stand-in not signalled";
  EXPECT_EQ(Mode(config_), 0600u);
  EXPECT_TRUE(Config()["tenants"][0]["disabled"].get<bool>());
  // A stale pid file: the change is saved, the failed reload is reported (exit 1).
  std::ofstream(pid_file) << child << "\n";
  r = Run({"--pid-file", pid_file, "tenant", "enable", "acme"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("reload the proxy by hand"), std::string::npos) << r.err;
  EXPECT_FALSE(Config()["tenants"][0].contains("disabled"));
}

// A packaged install's configuration belongs to root:xks-proxy (0640) so that the proxy, after it
// dropped its privileges, can still read it at a reload: root's edits keep that owner and group.
TEST_F(XksctlTest, ChangesKeepTheFilesOwnerAndGroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another owner";
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  constexpr uid_t kNobody = 65534;
  ASSERT_EQ(::chown(config_.c_str(), kNobody, kNobody), 0);
  ASSERT_EQ(Run({"tenant", "disable", "acme"}).code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(config_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(st.st_gid, kNobody);
  EXPECT_TRUE(Config()["tenants"][0]["disabled"].get<bool>());
}

TEST_F(XksctlTest, TenantShredDestroysKeysAndProvesIt) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  AddTenant("other", "/tenants/other");
  ASSERT_EQ(Run({"key", "create", "acme", "k1"}).code, 0);
  ASSERT_EQ(Run({"key", "rotate", "acme", "k1"}).code, 0);
  ASSERT_EQ(Run({"key", "create", "acme", "k2", "--usage", "decrypt"}).code, 0);
  ASSERT_EQ(Run({"key", "create", "other", "k1"}).code, 0);
  const json acme_before = Config()["tenants"][0];

  // No terminal and no --yes-destroy, or a wrong one: refused, nothing changed.
  const std::string before = ReadFile(config_);
  RunResult r = Run({"tenant", "shred", "acme"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--yes-destroy"), std::string::npos) << r.err;
  r = Run({"tenant", "shred", "acme", "--yes-destroy", "other"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);
  {
    auto token = OpenToken("acme");
    ASSERT_NE(token, nullptr);
    EXPECT_TRUE(token->DescribeKey("xks-acme-k1-v1", xks::testing::FarDeadline()).ok());
  }
  module_handle_.reset();

  const std::string cert_path = dir_ + "/cert.json";
  r = Run(
      {"tenant", "shred", "acme", "--yes-destroy", "acme", "--certificate", cert_path, "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json cfg = Config();
  ASSERT_EQ(cfg["tenants"].size(), 1u);
  EXPECT_EQ(cfg["tenants"][0]["name"], "other");
  EXPECT_EQ(cfg["hsm"]["tokens"].size(), 1u);
  EXPECT_EQ(Run({"config", "validate"}).code, 0);
  // The tenant's secrets are gone with it.
  EXPECT_FALSE(
      std::filesystem::exists(acme_before["credentials"][0]["secret"]["file"].get<std::string>()));

  // The HSM no longer has any of the keys (checked with the token's own PIN and URI).
  json acme_token;
  {
    json full = json::parse(before);
    for (const auto& t : full["hsm"]["tokens"]) {
      if (t["id"] == acme_before["token"]) acme_token = t;
    }
  }
  auto m = xks::pkcs11::OpenModule(sandbox_->module_config());
  ASSERT_TRUE(m.ok());
  xks::pkcs11::TokenConfig tc;
  tc.token = acme_token["token"];
  tc.pin = xks::pkcs11::PinSource::File(acme_token["pin"]["file"]);
  auto token = xks::pkcs11::TokenClient::Open(m.value(), tc);
  ASSERT_TRUE(token.ok());
  for (const char* label : {"xks-acme-k1-v1", "xks-acme-k1-v2", "xks-acme-k2-v1"}) {
    auto d = token.value()->DescribeKey(label, xks::testing::FarDeadline());
    ASSERT_FALSE(d.ok()) << label;
    EXPECT_EQ(d.error().kind, xks::pkcs11::HsmErrorKind::kNotFound) << label;
  }
  auto all = token.value()->ListKeys(xks::testing::FarDeadline());
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all.value().empty()) << all.value().size() << " objects left";
  token.value().reset();

  // The certificate: every key, canaries for the encrypt-capable ones, signed with the audit key.
  json cert = json::parse(ReadFile(cert_path));
  EXPECT_EQ(cert["tenant"], "acme");
  EXPECT_TRUE(cert["all_erased"].get<bool>());
  int tenant_keys = 0, canaries = 0;
  for (const auto& k : cert["keys"]) {
    EXPECT_TRUE(k["erased"].get<bool>()) << k.dump();
    EXPECT_EQ(k["lookup_after"], "NotFound");
    if (k["role"] == "tenant-key") ++tenant_keys;
    if (k.contains("canary_decrypt_after")) {
      ++canaries;
      EXPECT_EQ(k["canary_decrypt_after"].get<std::string>().rfind("failed", 0), 0u) << k.dump();
    }
  }
  EXPECT_EQ(tenant_keys, 3);
  EXPECT_EQ(canaries, 3);  // k1 v1, k1 v2 and the health-check key; k2 cannot encrypt
  ASSERT_TRUE(cert["signature"].contains("value")) << cert["signature"].dump();
  auto vk =
      xks::audit::ParseVerificationKey(cert["signature"]["public_key_pem"].get<std::string>());
  ASSERT_TRUE(vk.ok());
  json body = cert;
  body.erase("signature");
  const std::string payload = xks::audit::ErasureCertificatePayload(body);
  auto sig = xks::Base64Decode(cert["signature"]["value"].get<std::string>());
  ASSERT_TRUE(sig.has_value());
  std::span<const std::uint8_t> msg(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                    payload.size());
  EXPECT_TRUE(xks::audit::VerifyCheckpointSignature(vk.value(), msg, *sig));
  body["tenant"] = "forged";
  const std::string forged = xks::audit::ErasureCertificatePayload(body);
  EXPECT_FALSE(xks::audit::VerifyCheckpointSignature(
      vk.value(),
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(forged.data()),
                                    forged.size()),
      *sig));
  // The admin event is in xksctl's own signed audit chain.
  ASSERT_TRUE(cert["audit_event"]["recorded"].get<bool>()) << cert["audit_event"].dump();
  EXPECT_GT(cert["audit_event"]["seq"].get<std::uint64_t>(), 0u);
  const std::string audit_file = cert["audit_event"]["file"];
  EXPECT_NE(ReadFile(audit_file).find("tenant.shred"), std::string::npos);
  const std::string pem_path = dir_ + "/audit-pub.pem";
  std::ofstream(pem_path) << cert["signature"]["public_key_pem"].get<std::string>();
  r = Run({"audit", "verify", "--public-key", pem_path, audit_file}, false);
  EXPECT_EQ(r.code, 0) << r.out << r.err;

  // A second shred is a clear error, and the other tenant is untouched.
  r = Run({"tenant", "shred", "acme", "--yes-destroy", "acme"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not exist / was already shredded"), std::string::npos) << r.err;
  r = Run({"key", "list", "other", "--json"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.Json()["keys"][0]["versions"][0]["present"], true);
}

TEST_F(XksctlTest, KeyShredDestroysEveryVersionOfOneKey) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  ASSERT_EQ(Run({"key", "create", "acme", "k1"}).code, 0);
  ASSERT_EQ(Run({"key", "rotate", "acme", "k1"}).code, 0);
  ASSERT_EQ(Run({"key", "create", "acme", "keep"}).code, 0);
  RunResult r = Run({"key", "shred", "acme", "k1", "--yes-destroy", "keep"});
  EXPECT_EQ(r.code, 1);
  r = Run({"key", "shred", "acme", "k1", "--yes-destroy", "k1", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json cert = r.Json()["certificate_body"];
  EXPECT_EQ(cert["keys"].size(), 2u);
  EXPECT_TRUE(cert["all_erased"].get<bool>());
  EXPECT_TRUE(std::filesystem::exists(r.Json()["certificate"].get<std::string>()));
  EXPECT_FALSE(Config()["tenants"][0]["keys"].contains("k1"));
  auto token = OpenToken("acme");
  ASSERT_NE(token, nullptr);
  for (const char* label : {"xks-acme-k1-v1", "xks-acme-k1-v2"}) {
    auto d = token->DescribeKey(label, xks::testing::FarDeadline());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().kind, xks::pkcs11::HsmErrorKind::kNotFound);
  }
  EXPECT_TRUE(token->DescribeKey("xks-acme-keep-v1", xks::testing::FarDeadline()).ok());
  r = Run({"key", "shred", "acme", "k1", "--yes-destroy", "k1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("already shredded"), std::string::npos);
}

// SoftHSMv2 2.6 cannot import (OAEP with SHA-1 only; unwrapped keys do not report their length):
// the import must be refused with a pointer to the documentation, and change nothing. The working
// path is tested on NSS softokn in xksctl_byok_test.cc.
// With --config at hand, `audit public-key` needs no --key-file: it prints the key of the signer
// that audit.signer names, a key file or a P-256 key pair in an HSM token.
TEST_F(XksctlTest, AuditPublicKeyComesFromTheConfiguredSigner) {
  InitConfig();
  json cfg = Config();
  const std::string key_file = cfg["audit"]["signer"]["key_file"];
  RunResult by_file = Run({"audit", "public-key", "--key-file", key_file, "--json"}, false);
  ASSERT_EQ(by_file.code, 0) << by_file.out << by_file.err;
  RunResult by_config = Run({"audit", "public-key", "--json"});
  ASSERT_EQ(by_config.code, 0) << by_config.out << by_config.err;
  EXPECT_EQ(by_config.Json(), by_file.Json());
  RunResult text = Run({"audit", "public-key"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("# key id: " + by_file.Json()["keyId"].get<std::string>()),
            std::string::npos)
      << text.out;

  // An HSM-held signer: the key pair is made in-process in the sandbox token, the configuration
  // names that token, and the printed key must verify a signature the token makes.
  UseHsmAuditSigner(cfg);
  auto module = xks::pkcs11::OpenModule(sandbox_->module_config());
  ASSERT_TRUE(module.ok()) << module.error().ToLogString();
  auto token =
      xks::pkcs11::TokenClient::Open(module.value(), sandbox_->token_config("preexisting"));
  ASSERT_TRUE(token.ok()) << token.error().ToLogString();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  { std::ofstream(config_) << cfg.dump(2); }
  RunResult hsm = Run({"audit", "public-key", "--json"});
  ASSERT_EQ(hsm.code, 0) << hsm.out << hsm.err;
  auto key = xks::audit::ParseVerificationKey(hsm.Json()["publicKeyPem"].get<std::string>());
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->key_id, hsm.Json()["keyId"]);
  EXPECT_EQ(hsm.Json()["algorithm"].get<std::string>(), std::string(xks::audit::kAlgEcdsaP256));
  const std::string message = "xksctl audit public-key";
  const xks::Sha256Digest digest = xks::Sha256(message);
  auto signature = token.value()->SignEcdsa("audit-signer", digest, deadline);
  ASSERT_TRUE(signature.ok()) << signature.error().ToLogString();
  EXPECT_TRUE(xks::audit::VerifyCheckpointSignature(
      *key,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(message.data()),
                                    message.size()),
      *signature));

  // A key the token does not hold is named in a clear error (exit 1), never with the PIN.
  cfg["audit"]["signer"]["key_label"] = "no-such-signer";
  { std::ofstream(config_) << cfg.dump(2); }
  RunResult missing = Run({"audit", "public-key"});
  EXPECT_EQ(missing.code, 1) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("no-such-signer"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.err.find(sandbox_->token("preexisting").user_pin), std::string::npos);
}

// With the audit signer in an HSM, xksctl signs the erasure certificate with it and, with no
// proxy running, writes the shred event into the chain with checkpoints it signs there too: the
// certificate then verifies with the HSM key, offline, as any other.
TEST_F(XksctlTest, AShredSignsItsCertificateWithTheHsmAuditSigner) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  ASSERT_EQ(Run({"key", "create", "acme", "k1"}).code, 0);
  json cfg = Config();
  // The chain so far is signed with the file key InitConfig made; from now on with the HSM's.
  RunResult file_pub =
      Run({"audit", "public-key", "--key-file", cfg["audit"]["signer"]["key_file"]}, false);
  ASSERT_EQ(file_pub.code, 0) << file_pub.err;
  const std::string file_pem = dir_ + "/file-audit-pub.pem";
  std::ofstream(file_pem) << file_pub.out;
  UseHsmAuditSigner(cfg);
  RunResult pub = Run({"audit", "public-key"});
  ASSERT_EQ(pub.code, 0) << pub.err;
  const std::string pem_path = dir_ + "/hsm-audit-pub.pem";
  std::ofstream(pem_path) << pub.out;
  const std::string key_id = Run({"audit", "public-key", "--json"}).Json()["keyId"];

  const std::string cert_path = dir_ + "/hsm-cert.json";
  RunResult r = Run(
      {"key", "shred", "acme", "k1", "--yes-destroy", "k1", "--certificate", cert_path, "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json cert = json::parse(ReadFile(cert_path));
  ASSERT_TRUE(cert["signature"].contains("value")) << cert["signature"].dump();
  EXPECT_EQ(cert["signature"]["key_id"], key_id);
  ASSERT_TRUE(cert["audit_event"]["recorded"].get<bool>()) << cert["audit_event"].dump();
  EXPECT_EQ(cert["audit_event"]["via"], "xksctl");
  std::vector<std::string> args = {"audit",  "verify-erasure", cert_path, "--public-key",
                                   pem_path, "--public-key",   file_pem,  "--json"};
  const std::filesystem::path audit_dir =
      std::filesystem::path(cert["audit_event"]["file"].get<std::string>()).parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(audit_dir)) {
    if (entry.path().extension() == ".jsonl") args.push_back(entry.path().string());
  }
  r = Run(args, false);
  // Everything verifies; with no proxy ever run there are no request records to search for a
  // use after the erasure, which is the one finding.
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  const json report = r.Json();
  json findings = json::array();
  for (const auto& f : report["findings"]) findings.push_back(f["kind"]);
  EXPECT_EQ(findings, json::array({"no-request-log"})) << r.out;
}

TEST_F(XksctlTest, KeyImportOnSoftHsmIsRefusedCleanly) {
  InitConfig();
  AddTenant("acme", "/tenants/acme");
  const std::string pem = dir_ + "/wrap.pem", raw = dir_ + "/known.bin",
                    wrapped = dir_ + "/wrapped.bin";
  RunResult r = Run({"key", "import-params", "acme", "byok", "--out", pem, "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::ofstream(raw, std::ios::binary) << std::string(32, '\x17');
  r = xks::testing::RunProcess({"openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in",
                                raw, "-out", wrapped, "-pkeyopt", "rsa_padding_mode:oaep",
                                "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"},
                               dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string before = ReadFile(config_);
  r = Run({"key", "import", "acme", "byok", "--wrapped-key", wrapped});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("docs/xksctl.md"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);
  auto token = OpenToken("acme");
  ASSERT_NE(token, nullptr);
  auto key = token->DescribeKey("xks-acme-byok-v1", xks::testing::FarDeadline());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().kind, xks::pkcs11::HsmErrorKind::kNotFound);
}

// ---- fleet add|check|remove (issue 14) ----

// Three tokens made by the sandbox: "first" serves acme, "second" holds the same key value,
// "third" another value under the same label.
class XksctlFleetTest : public XksctlTest {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = xks::testing::SoftHsmSandbox::Create({"first", "second", "third"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    dir_ = sandbox_->dir();
    config_ = dir_ + "/xks.json";
    module_ = xks::testing::SoftHsmSandbox::ModulePath();
    auto module = xks::pkcs11::OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok());
    const xks::SecretBytes same(std::vector<std::uint8_t>(32, 0x5a));
    const xks::SecretBytes other(std::vector<std::uint8_t>(32, 0xa5));
    for (const char* label : {"first", "second", "third"}) {
      auto client = xks::pkcs11::TokenClient::Open(module.value(), sandbox_->token_config(label));
      ASSERT_TRUE(client.ok()) << client.error().ToLogString();
      xks::pkcs11::AesKeySpec spec;
      spec.label = "acme-k1";
      ASSERT_TRUE(client.value()
                      ->ImportAesKeyForTesting(spec,
                                               std::string_view(label) == "third" ? other : same,
                                               xks::testing::FarDeadline())
                      .ok());
    }
    InitConfig();
    RunResult r = Run({"tenant", "add", "acme", "--prefix", "/acme", "--module", module_,
                       "--token-label", "first", "--pin-file", Pin("first")});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    json cfg = Config();
    cfg["tenants"][0]["keys"]["k1"] = {{"label", "acme-k1"}};
    std::ofstream(config_) << cfg.dump(2);
  }
  std::string Pin(const std::string& label) { return sandbox_->token(label).user_pin_file; }
  // Adds token "second" as member acme-b, then makes its PIN wrong (the member is unreachable).
  // Returns the configuration from before the PIN was broken.
  json AddUnreachableMember() {
    EXPECT_EQ(Run({"fleet", "add", "acme", "--token-label", "second", "--pin-file", Pin("second"),
                   "--token-id", "acme-b"})
                  .code,
              0);
    const std::string wrong_pin = dir_ + "/wrong.pin";
    std::ofstream(wrong_pin) << "999999";
    std::filesystem::permissions(
        wrong_pin, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    json cfg = Config();
    const json good = cfg;
    for (auto& t : cfg["hsm"]["tokens"]) {
      if (t["id"] == "acme-b") t["pin"] = {{"file", wrong_pin}};
    }
    std::ofstream(config_) << cfg.dump(2);
    return good;
  }
};

TEST_F(XksctlFleetTest, AMemberJoinsOnlyWhenItHoldsTheSameKeys) {
  const std::string before = ReadFile(config_);
  RunResult r = Run({"fleet", "add", "acme", "--token-label", "third", "--pin-file", Pin("third")});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("MISMATCH"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("does not hold the same keys"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);  // the fleet is unchanged

  r = Run({"fleet", "add", "acme", "--token-label", "second", "--pin-file", Pin("second"),
           "--token-id", "acme-b", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["check"]["keys"][0]["same_key"], true);
  json cfg = Config();
  EXPECT_EQ(cfg["tenants"][0]["tokens"], json::array({"acme", "acme-b"}));
  EXPECT_FALSE(cfg["tenants"][0].contains("token"));
  bool entry = false;
  for (const auto& t : cfg["hsm"]["tokens"]) {
    entry = entry || (t["id"] == "acme-b" && t["token"] == "second" &&
                      t["health_check_key"] == "xks-acme-b-health");
  }
  EXPECT_TRUE(entry) << cfg["hsm"].dump();
  EXPECT_EQ(Run({"config", "validate"}).code, 0);
  r = Run({"fleet", "check", "acme", "--json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["ok"], true);
  r = Run({"tenant", "show", "acme", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.Json()["tenant"]["fleet_detail"].size(), 2u);
  EXPECT_EQ(r.Json()["tenant"]["token"], "acme");
}

// A fleet shred destroys the keys on every member. A member that cannot be reached (here: its PIN
// is refused) makes the shred incomplete: exit 1, the certificate names it, the tenant stays
// configured (disabled) with that member only, and the same command finishes the shred later.
TEST_F(XksctlFleetTest, ShredErasesEveryMemberAndAReRunFinishesAnUnreachableOne) {
  AddUnreachableMember();
  const std::string cert_path = dir_ + "/cert.json";
  RunResult r =
      Run({"tenant", "shred", "acme", "--yes-destroy", "acme", "--certificate", cert_path});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("shred incomplete: acme-b"), std::string::npos) << r.err;
  json cert = json::parse(ReadFile(cert_path));
  EXPECT_EQ(cert["complete"], false);
  ASSERT_EQ(cert["members"].size(), 2u);
  EXPECT_EQ(cert["members"][0]["complete"], true);
  EXPECT_EQ(cert["members"][1]["id"], "acme-b");
  EXPECT_EQ(cert["members"][1]["reachable"], false);
  EXPECT_NE(cert["out_of_scope"].get<std::string>().find("HSM backups"), std::string::npos);
  json cfg = Config();
  ASSERT_EQ(cfg["tenants"].size(), 1u);
  EXPECT_EQ(cfg["tenants"][0]["disabled"], true);
  EXPECT_EQ(cfg["tenants"][0].value("tokens", json::array({cfg["tenants"][0].value("token", "")})),
            json::array({"acme-b"}));

  for (auto& t : cfg["hsm"]["tokens"]) {
    if (t["id"] == "acme-b") t["pin"] = {{"file", Pin("second")}};
  }
  std::ofstream(config_) << cfg.dump(2);
  r = Run({"tenant", "shred", "acme", "--yes-destroy", "acme", "--certificate", cert_path});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  cert = json::parse(ReadFile(cert_path));
  EXPECT_EQ(cert["complete"], true);
  ASSERT_EQ(cert["members"].size(), 1u);
  EXPECT_EQ(cert["members"][0]["id"], "acme-b");
  EXPECT_TRUE(Config()["tenants"].empty());
  auto m = xks::pkcs11::OpenModule(sandbox_->module_config());
  ASSERT_TRUE(m.ok());
  for (const char* label : {"first", "second"}) {
    auto client = xks::pkcs11::TokenClient::Open(m.value(), sandbox_->token_config(label));
    ASSERT_TRUE(client.ok()) << label;
    auto d = client.value()->DescribeKey("acme-k1", xks::testing::FarDeadline());
    ASSERT_FALSE(d.ok()) << label;
    EXPECT_EQ(d.error().kind, xks::pkcs11::HsmErrorKind::kNotFound) << label;
  }
}

// A key shred on a fleet: every member, and an unreachable one leaves the key configured
// (disabled) until the same command finishes it.
TEST_F(XksctlFleetTest, KeyShredCoversEveryMember) {
  const json good = AddUnreachableMember();
  RunResult r = Run({"key", "shred", "acme", "k1", "--yes-destroy", "k1", "--json"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("shred incomplete: acme-b"), std::string::npos) << r.err;
  ASSERT_TRUE(Config()["tenants"][0]["keys"].contains("k1"));
  EXPECT_EQ(Config()["tenants"][0]["keys"]["k1"]["disabled"], true);

  json cfg = Config();
  cfg["hsm"] = good["hsm"];
  std::ofstream(config_) << cfg.dump(2);
  r = Run({"key", "shred", "acme", "k1", "--yes-destroy", "k1", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json cert = r.Json()["certificate_body"];
  EXPECT_EQ(cert["complete"], true);
  ASSERT_EQ(cert["members"].size(), 2u);
  EXPECT_EQ(cert["keys"][0]["destroy"], "already absent");  // done by the first run
  EXPECT_EQ(cert["keys"][1]["member"], "acme-b");
  EXPECT_EQ(cert["keys"][1]["destroy"], "destroyed");
  EXPECT_FALSE(Config()["tenants"][0]["keys"].contains("k1"));
}

TEST_F(XksctlFleetTest, FleetRemoveKeepsTheLastMember) {
  ASSERT_EQ(Run({"fleet", "add", "acme", "--token-label", "second", "--pin-file", Pin("second"),
                 "--token-id", "acme-b"})
                .code,
            0);
  RunResult r = Run({"fleet", "remove", "acme", "--token-id", "acme-b", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json cfg = Config();
  EXPECT_EQ(cfg["tenants"][0]["tokens"], json::array({"acme"}));
  for (const auto& t : cfg["hsm"]["tokens"]) EXPECT_NE(t["id"], "acme-b");
  r = Run({"fleet", "remove", "acme", "--token-id", "acme"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("only token"), std::string::npos) << r.err;
  r = Run({"fleet", "remove", "acme", "--token-id", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not a member"), std::string::npos) << r.err;
}

}  // namespace
