#include "proxy/config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <set>

#include "proxy/config/testing/config_fixture.h"

namespace xks::config {
namespace {

using nlohmann::json;
using testing::StandardConfigJson;
using testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { doc_ = StandardConfigJson(dir_); }

  Problems ProblemsOf(const json& doc) {
    auto cfg = ParseConfig(doc, dir_.path());
    if (cfg.ok()) return {};
    return cfg.error();
  }
  // Applies `change` to the valid document and expects a problem at `path` (a change may cause
  // follow-on problems elsewhere, e.g. a renamed token leaves its tenant without one).
  void ExpectProblem(const std::function<void(json&)>& change, const std::string& path,
                     const std::string& message_part = "") {
    json doc = doc_;
    change(doc);
    Problems problems = ProblemsOf(doc);
    const Problem* found = nullptr;
    for (const auto& p : problems) {
      if (p.path == path) found = &p;
    }
    ASSERT_NE(found, nullptr) << "want " << path << ", got:\n" << FormatProblems(problems);
    EXPECT_NE(found->Message().find(message_part), std::string::npos) << found->Message();
    EXPECT_LE(problems.size(), 2u) << FormatProblems(problems);
  }

  TempDir dir_;
  json doc_;
};

TEST_F(ConfigTest, StandardConfigIsValid) {
  auto cfg = ParseConfig(doc_, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  const Config& c = cfg.value();
  ASSERT_EQ(c.tenants.size(), 2u);
  EXPECT_EQ(c.tenants[0].name, "acme");
  EXPECT_EQ(c.tenants[0].credentials.size(), 2u);
  EXPECT_EQ(c.tenants[0].credentials[0].secret.view(), testing::kAcmeSecret)
      << "trailing newline stripped";
  EXPECT_EQ(c.tenants[0].credentials[0].secret_ref.where, dir_.path() + "/acme.secret")
      << "relative paths resolve against the config directory";
  EXPECT_EQ(c.hsm.tokens[0].pin.Describe(), "file:" + dir_.path() + "/acme.pin");
  EXPECT_EQ(c.server.hsm_time_budget, std::chrono::milliseconds(200));
  EXPECT_EQ(c.server.ping_path, "/ping");
  EXPECT_EQ(c.api.max_plaintext_bytes, 4300u);
  EXPECT_EQ(c.api.health_check_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.api.health_probe_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(c.api.health_live_failure_run, 3u);
  EXPECT_EQ(c.api.health_live_failure_window, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.audit.directory, dir_.path() + "/audit")
      << "audit paths resolve against the config directory too (docs/configuration.md)";
  EXPECT_EQ(c.audit.signer.key_file, dir_.path() + "/audit-signer.pem");
  const KeyConfig& k2 = c.tenants[0].keys[1];
  EXPECT_EQ(k2.external_key_id, "k2");
  ASSERT_EQ(k2.versions.size(), 2u);
  EXPECT_TRUE(k2.versions[0].retired);
  EXPECT_EQ(k2.versions[1].label, "acme-k2-v2");
}

TEST_F(ConfigTest, AllProblemsAreReportedTogetherWithPaths) {
  json doc = doc_;
  doc["server"]["port"] = 70000;
  doc["hsm"]["tokens"][0].erase("health_check_key");
  doc["tenants"][1]["keys"]["k7"] = json::object();
  doc["tenants"][0]["path_prefix"] = "/acme/";
  doc["tenants"][1]["credentials"][0]["access_key_id"] = "lowercase";
  Problems problems = ProblemsOf(doc);
  std::set<std::string> paths;
  for (const auto& p : problems) paths.insert(p.path);
  EXPECT_EQ(paths, (std::set<std::string>{"server.port", "hsm.tokens[0].health_check_key",
                                          "tenants[1].keys.k7.label", "tenants[0].path_prefix",
                                          "tenants[1].credentials[0].access_key_id"}))
      << FormatProblems(problems);
  for (const auto& p : problems) {
    if (p.path == "tenants[1].keys.k7.label") {
      EXPECT_EQ(p.ToString(),
                "tenants[1].keys.k7.label: missing — give the HSM key label or a pkcs11: URI");
    }
  }
}

TEST_F(ConfigTest, RootAndSectionShapes) {
  EXPECT_EQ(ProblemsOf(json::array()).size(), 1u);
  ExpectProblem([](json& d) { d.erase("server"); }, "server", "missing");
  ExpectProblem([](json& d) { d.erase("audit"); }, "audit", "missing");
  ExpectProblem([](json& d) { d["audit"] = "x"; }, "audit", "object");
  // An idle proxy (e.g. after the last tenant was shredded) is a valid configuration.
  json idle = doc_;
  idle["tenants"] = json::array();
  EXPECT_TRUE(ProblemsOf(idle).empty()) << FormatProblems(ProblemsOf(idle));
  ExpectProblem([](json& d) { d["tennants"] = 1; }, "tennants", "unknown field");
  ExpectProblem([](json& d) { d["server"]["prot"] = 1; }, "server.prot", "unknown field");
  json commented = doc_;
  commented["_comment"] = "keys starting with _ are comments";
  commented["server"]["_note"] = 1;
  EXPECT_TRUE(ProblemsOf(commented).empty());
}

TEST_F(ConfigTest, ServerRules) {
  ExpectProblem([](json& d) { d["server"]["port"] = -1; }, "server.port");
  ExpectProblem([](json& d) { d["server"]["insecure"] = "yes"; }, "server.insecure");
  ExpectProblem([](json& d) { d["server"].erase("insecure"); }, "server.tls", "missing");
  ExpectProblem([](json& d) { d["server"]["hsm_time_budget_ms"] = 250; },
                "server.hsm_time_budget_ms");
  ExpectProblem([](json& d) { d["server"]["max_body_bytes"] = 1024; }, "server.max_body_bytes");
  ExpectProblem([](json& d) { d["server"]["worker_threads"] = 0; }, "server.worker_threads");
  ExpectProblem([](json& d) { d["server"]["ping_path"] = "/kms/xks/v1/ping"; }, "server.ping_path");
}

TEST_F(ConfigTest, ServerConnectionLimitsHaveDefaultsAndRanges) {
  auto defaults = ParseConfig(doc_, dir_.path());
  ASSERT_TRUE(defaults.ok()) << FormatProblems(defaults.error());
  const ServerConfig& server = defaults.value().server;
  EXPECT_EQ(server.io_threads, 2u);
  EXPECT_EQ(server.max_connections, 4096u);
  EXPECT_EQ(server.max_connections_per_address, 256u);
  EXPECT_EQ(server.max_handshakes_in_progress, 64u);
  EXPECT_EQ(server.unauthenticated_idle_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(server.low_priority_queue_limit, 32u);

  json set = doc_;
  set["server"]["max_connections"] = 100;
  set["server"]["max_connections_per_address"] = 0;  // 0 turns the per-address cap off
  set["server"]["max_handshakes_in_progress"] = 0;
  set["server"]["unauthenticated_idle_timeout_ms"] = 2500;
  set["server"]["low_priority_queue_limit"] = 4;
  auto parsed = ParseConfig(set, dir_.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(parsed.value().server.max_connections, 100u);
  EXPECT_EQ(parsed.value().server.max_connections_per_address, 0u);
  EXPECT_EQ(parsed.value().server.max_handshakes_in_progress, 0u);
  EXPECT_EQ(parsed.value().server.unauthenticated_idle_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(parsed.value().server.low_priority_queue_limit, 4u);

  ExpectProblem([](json& d) { d["server"]["max_connections"] = 0; }, "server.max_connections",
                "between 1 and");
  ExpectProblem([](json& d) { d["server"]["max_connections_per_address"] = -1; },
                "server.max_connections_per_address", "integer");
  ExpectProblem([](json& d) { d["server"]["max_handshakes_in_progress"] = "many"; },
                "server.max_handshakes_in_progress", "integer");
  ExpectProblem([](json& d) { d["server"]["unauthenticated_idle_timeout_ms"] = 0; },
                "server.unauthenticated_idle_timeout_ms", "between 1 and");
  ExpectProblem([](json& d) { d["server"]["low_priority_queue_limit"] = 0; },
                "server.low_priority_queue_limit", "between 1 and");
  ExpectProblem([](json& d) { d["server"]["io_threads"] = 0; }, "server.io_threads");
}

TEST_F(ConfigTest, TlsRules) {
  const std::string cert = dir_.WriteFile("cert.pem", "x", 0644);
  const std::string key = dir_.WriteFile("key.pem", "x", 0600);
  auto tls = [&](json& d) {
    d["server"].erase("insecure");
    d["server"]["tls"] = {{"certificate_chain_file", "cert.pem"}, {"private_key_file", "key.pem"}};
  };
  json ok = doc_;
  tls(ok);
  EXPECT_TRUE(ProblemsOf(ok).empty()) << FormatProblems(ProblemsOf(ok));
  ExpectProblem(
      [&](json& d) {
        tls(d);
        d["server"]["insecure"] = true;
      },
      "server.insecure");
  ExpectProblem(
      [&](json& d) {
        tls(d);
        d["server"]["tls"]["certificate_chain_file"] = "nope.pem";
      },
      "server.tls.certificate_chain_file", "does not exist");
  dir_.WriteFile("open-key.pem", "x", 0644);
  ExpectProblem(
      [&](json& d) {
        tls(d);
        d["server"]["tls"]["private_key_file"] = "open-key.pem";
      },
      "server.tls.private_key_file", "chmod 600");
  ExpectProblem(
      [&](json& d) {
        tls(d);
        d["server"]["tls"]["allowed_client_common_names"] = {"cks.kms.us-east-1.amazonaws.com"};
      },
      "server.tls.allowed_client_common_names", "client_ca_file");
}

TEST_F(ConfigTest, ApiRules) {
  ExpectProblem([](json& d) { d["api"]["max_plaintext_bytes"] = 4299; }, "api.max_plaintext_bytes");
  ExpectProblem([](json& d) { d["api"]["max_aad_bytes"] = 8191; }, "api.max_aad_bytes");
  ExpectProblem([](json& d) { d["api"]["max_arn_chars"] = 100; }, "api.max_arn_chars");
  ExpectProblem([](json& d) { d["api"]["verify_encrypt"] = "sometimes"; }, "api.verify_encrypt");
  ExpectProblem([](json& d) { d["api"]["health_check_interval_ms"] = 60000; },
                "api.health_check_interval_ms");
  ExpectProblem([](json& d) { d["api"]["health_check_timeout_ms"] = 9; },
                "api.health_check_timeout_ms", "between 10 and 60000");
  ExpectProblem([](json& d) { d["api"]["health_probe_interval_ms"] = 60001; },
                "api.health_probe_interval_ms", "between 100 and 60000");
  ExpectProblem([](json& d) { d["api"]["health_live_failure_run"] = -1; },
                "api.health_live_failure_run", "between 0 and 1000");
  ExpectProblem([](json& d) { d["api"]["health_live_failure_window_ms"] = 99; },
                "api.health_live_failure_window_ms", "between 100 and 600000");
  ExpectProblem([](json& d) { d["api"]["fleet_size"] = 0; }, "api.fleet_size");
}

TEST_F(ConfigTest, HsmModuleAndTokenRules) {
  ExpectProblem(
      [](json& d) {
        d["hsm"]["modules"].push_back({{"id", "soft"}, {"module", "x"}});
      },
      "hsm.modules[1].id", "duplicate");
  ExpectProblem([](json& d) { d["hsm"]["modules"][0]["module"] = "/no/such/lib.so"; },
                "hsm.modules[0].module", "does not exist");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][1]["id"] = "tok-acme"; }, "hsm.tokens[1].id",
                "duplicate");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0]["module"] = "hard"; }, "hsm.tokens[0].module",
                "no module");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0].erase("token"); }, "hsm.tokens[0].token");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0]["max_sessions"] = 0; },
                "hsm.tokens[0].max_sessions");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0]["max_stuck_calls"] = 0; },
                "hsm.tokens[0].max_stuck_calls");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0]["queue_limit"] = 0; },
                "hsm.tokens[0].queue_limit");
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0].erase("health_check_key"); },
                "hsm.tokens[0].health_check_key");
}

TEST_F(ConfigTest, ModuleInitializeParameters) {
  json doc = doc_;
  doc["hsm"]["modules"][0]["initialize_parameters"] = "configdir='sql:/x' flags=";
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->hsm.modules[0].initialize_parameters, "configdir='sql:/x' flags=");
  ExpectProblem([](json& d) { d["hsm"]["modules"][0]["initialize_parameters"] = 7; },
                "hsm.modules[0].initialize_parameters", "string");
  ExpectProblem(
      [](json& d) { d["hsm"]["modules"][0]["initialize_parameters"] = std::string("a\0b", 3); },
      "hsm.modules[0].initialize_parameters", "NUL");
  // One module file, two entries: the same parameters are fine, different ones are not (a module
  // is initialized once per process).
  doc = doc_;
  json second = doc["hsm"]["modules"][0];
  second["id"] = "soft-2";
  doc["hsm"]["modules"].push_back(second);
  EXPECT_TRUE(ParseConfig(doc, dir_.path()).ok());
  ExpectProblem(
      [&](json& d) {
        json other = d["hsm"]["modules"][0];
        other["id"] = "soft-2";
        other["initialize_parameters"] = "configdir='sql:/y'";
        d["hsm"]["modules"].push_back(other);
      },
      "hsm.modules[1].initialize_parameters", "once per process");
}

TEST_F(ConfigTest, PinRules) {
  ExpectProblem([](json& d) { d["hsm"]["tokens"][0]["pin"] = "1234"; }, "hsm.tokens[0].pin",
                "inline secrets are not allowed");
  ExpectProblem(
      [](json& d) {
        d["hsm"]["tokens"][0]["pin"] = {{"file", "missing.pin"}};
      },
      "hsm.tokens[0].pin.file", "does not exist");
  dir_.WriteFile("open.pin", "1234", 0640);
  ExpectProblem(
      [](json& d) {
        d["hsm"]["tokens"][0]["pin"] = {{"file", "open.pin"}};
      },
      "hsm.tokens[0].pin.file", "group or others");
  ExpectProblem(
      [](json& d) {
        d["hsm"]["tokens"][0]["pin"] = {{"env", "XKS_TEST_UNSET_PIN_VAR"}};
      },
      "hsm.tokens[0].pin.env", "not set");
  ExpectProblem(
      [](json& d) {
        d["hsm"]["tokens"][0]["pin"] = {{"env", "A"}, {"file", "acme.pin"}};
      },
      "hsm.tokens[0].pin", "exactly one");
  ::setenv("XKS_TEST_PIN_VAR", "9999", 1);
  json env = doc_;
  env["hsm"]["tokens"][0]["pin"] = {{"env", "XKS_TEST_PIN_VAR"}};
  EXPECT_TRUE(ProblemsOf(env).empty());
}

TEST_F(ConfigTest, PathPrefixRules) {
  for (const char* bad :
       {"acme", "/acme/", "/ac me", "/a//b", "/a.b", "/x/kms/xks/v1", "/kms/xks/v1/y"}) {
    ExpectProblem([&](json& d) { d["tenants"][0]["path_prefix"] = bad; }, "tenants[0].path_prefix",
                  "invalid");
  }
  // Total XksProxyUriPath at most 128: prefix at most 117 characters.
  // Built by appending: GCC 12 at -O3 reports a false -Wstringop-overflow for "/" + string.
  std::string ok = "/";
  ok.append(116, 'a');
  json doc = doc_;
  doc["tenants"][0]["path_prefix"] = ok;
  EXPECT_TRUE(ProblemsOf(doc).empty());
  ExpectProblem([&](json& d) { d["tenants"][0]["path_prefix"] = ok + "a"; },
                "tenants[0].path_prefix");
  ExpectProblem([](json& d) { d["tenants"][0]["path_prefix"] = ""; }, "tenants[1].path_prefix",
                "already used");
  EXPECT_TRUE(IsValidPathPrefix("/keystores/4a0d79d6-1d1b_49fd"));
  EXPECT_TRUE(IsValidPathPrefix(""));
}

// A second token for acme's fleet: the same module, acme's PIN file.
void AddFleetToken(json& d, const std::string& id, const std::string& label) {
  d["hsm"]["tokens"].push_back({{"id", id},
                                {"module", "soft"},
                                {"token", label},
                                {"pin", {{"file", "acme.pin"}}},
                                {"health_check_key", "hc"}});
}

TEST_F(ConfigTest, ATenantMayNameAFleetOfTokens) {
  json doc = doc_;
  AddFleetToken(doc, "tok-acme-b", "acme-b");
  doc["tenants"][0].erase("token");
  doc["tenants"][0]["tokens"] = {"tok-acme", "tok-acme-b"};
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->tenants[0].tokens, (std::vector<std::string>{"tok-acme", "tok-acme-b"}));
  EXPECT_EQ(cfg->tenants[0].primary_token(), "tok-acme");
  EXPECT_EQ(cfg->tenants[1].tokens, std::vector<std::string>{"tok-globex"});
}

TEST_F(ConfigTest, FleetRules) {
  auto fleet = [](std::vector<json> members) {
    return [members](json& d) {
      AddFleetToken(d, "tok-acme-b", "acme-b");
      d["tenants"][0].erase("token");
      d["tenants"][0]["tokens"] = members;
    };
  };
  ExpectProblem([](json& d) { d["tenants"][0]["tokens"] = {"tok-acme"}; }, "tenants[0]",
                "not both");
  ExpectProblem(fleet({}), "tenants[0].tokens", "1..10");
  ExpectProblem(fleet({"tok-acme", "tok-acme"}), "tenants[0].tokens[1]", "listed twice");
  ExpectProblem(fleet({"tok-acme", "tok-globex"}), "tenants[1].token", "may not share a token");
  ExpectProblem(fleet({"tok-acme", "tok-x"}), "tenants[0].tokens[1]", "no token");
  ExpectProblem(fleet({"tok-acme", 7}), "tenants[0].tokens[1]", "a string");
  ExpectProblem(
      [](json& d) {
        d["tenants"][0].erase("token");
        d["tenants"][0]["tokens"] = "tok-acme";
      },
      "tenants[0].tokens");
  std::vector<json> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back("tok-" + std::to_string(i));
  ExpectProblem(fleet(eleven), "tenants[0].tokens", "1..10");
}

TEST_F(ConfigTest, TenantRules) {
  ExpectProblem([](json& d) { d["tenants"][1]["name"] = "acme"; }, "tenants[1].name", "duplicate");
  ExpectProblem([](json& d) { d["tenants"][1]["name"] = "a b"; }, "tenants[1].name");
  ExpectProblem([](json& d) { d["tenants"][1]["token"] = "tok-acme"; }, "tenants[1].token",
                "may not share a token");
  ExpectProblem([](json& d) { d["tenants"][1]["token"] = "tok-x"; }, "tenants[1].token",
                "no token");
  ExpectProblem([](json& d) { d["tenants"][1]["credentials"] = json::array(); },
                "tenants[1].credentials", "empty");
  ExpectProblem([](json& d) { d["tenants"][1]["disabled"] = "no"; }, "tenants[1].disabled");
}

TEST_F(ConfigTest, CredentialRules) {
  ExpectProblem(
      [](json& d) { d["tenants"][1]["credentials"][0]["access_key_id"] = "AKIA0000000000000000"; },
      "tenants[1].credentials[0].access_key_id", "A-Z and 2-7");
  ExpectProblem([](json& d) { d["tenants"][1]["credentials"][0]["access_key_id"] = "AKIASHORT"; },
                "tenants[1].credentials[0].access_key_id");
  ExpectProblem(
      [](json& d) { d["tenants"][1]["credentials"][0]["access_key_id"] = std::string(31, 'A'); },
      "tenants[1].credentials[0].access_key_id");
  ExpectProblem(
      [](json& d) { d["tenants"][1]["credentials"][0]["access_key_id"] = testing::kAcmeAccessKey; },
      "tenants[1].credentials[0].access_key_id", "already used");
  ExpectProblem(
      [](json& d) { d["tenants"][0]["credentials"][1]["access_key_id"] = testing::kAcmeAccessKey; },
      "tenants[0].credentials[1].access_key_id", "already used");
  dir_.WriteFile("short.secret", "tooshort");
  ExpectProblem(
      [](json& d) {
        d["tenants"][1]["credentials"][0]["secret"] = {{"file", "short.secret"}};
      },
      "tenants[1].credentials[0].secret", "43..64");
  dir_.WriteFile("badchar.secret", std::string(44, 'a') + "-");
  ExpectProblem(
      [](json& d) {
        d["tenants"][1]["credentials"][0]["secret"] = {{"file", "badchar.secret"}};
      },
      "tenants[1].credentials[0].secret");
  dir_.WriteFile("open.secret", testing::kGlobexSecret, 0604);
  ExpectProblem(
      [](json& d) {
        d["tenants"][1]["credentials"][0]["secret"] = {{"file", "open.secret"}};
      },
      "tenants[1].credentials[0].secret.file", "group or others");
  ExpectProblem(
      [](json& d) { d["tenants"][1]["credentials"][0]["secret"] = testing::kGlobexSecret; },
      "tenants[1].credentials[0].secret", "inline");
}

// Tenant secret files are read through base/secret_file.h: symlinks are followed (Kubernetes
// mounts secrets that way), the target's mode is checked, 4096 bytes is the cap.
TEST_F(ConfigTest, SecretFilesFollowSymlinksAndAreCapped) {
  const std::string target =
      dir_.WriteFile("real.secret", std::string(testing::kGlobexSecret) + "\n");
  ASSERT_EQ(::symlink(target.c_str(), (dir_.path() + "/linked.secret").c_str()), 0);
  json doc = doc_;
  doc["tenants"][1]["credentials"][0]["secret"] = {{"file", "linked.secret"}};
  doc["hsm"]["tokens"][0]["pin"] = {{"file", "linked.secret"}};
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  dir_.WriteFile("huge.secret", std::string(4097, 'a'));
  ExpectProblem(
      [](json& d) {
        d["tenants"][1]["credentials"][0]["secret"] = {{"file", "huge.secret"}};
      },
      "tenants[1].credentials[0].secret", "larger than 4096 bytes");
  ExpectProblem(
      [](json& d) {
        d["tenants"][1]["credentials"][0]["secret"] = {{"file", "."}};
      },
      "tenants[1].credentials[0].secret.file", "not a regular file");
}

TEST_F(ConfigTest, ProblemsNeverContainSecrets) {
  const std::string bad_secret = "ThisIsASecretValueWith-Dash-That-Is-Long-Enough-To-Check";
  dir_.WriteFile("bad.secret", bad_secret);
  json doc = doc_;
  doc["tenants"][1]["credentials"][0]["secret"] = {{"file", "bad.secret"}};
  doc["hsm"]["tokens"][0]["pin"] = "inline-pin-value-4711";
  const std::string text = FormatProblems(ProblemsOf(doc));
  EXPECT_NE(text, "");
  EXPECT_EQ(text.find(bad_secret), std::string::npos) << text;
  EXPECT_EQ(text.find("4711"), std::string::npos) << text;
}

TEST_F(ConfigTest, KeyRules) {
  ExpectProblem(
      [](json& d) {
        d["tenants"][0]["keys"]["bad id!"] = {{"label", "x"}};
      },
      "tenants[0].keys.bad id!", "externalKeyId");
  ExpectProblem(
      [](json& d) {
        d["tenants"][0]["keys"][std::string(129, 'a')] = {{"label", "x"}};
      },
      "tenants[0].keys." + std::string(129, 'a'));
  ExpectProblem(
      [](json& d) {
        d["tenants"][0]["keys"]["k1"] = {{"label", ""}};
      },
      "tenants[0].keys.k1.label");
  ExpectProblem([](json& d) { d["tenants"][0]["keys"]["k1"]["versions"] = json::array(); },
                "tenants[0].keys.k1", "not both");
  ExpectProblem([](json& d) { d["tenants"][0]["keys"]["k2"]["versions"][1]["version"] = 1; },
                "tenants[0].keys.k2.versions[1].version", "duplicate");
  ExpectProblem([](json& d) { d["tenants"][0]["keys"]["k2"]["versions"][1]["version"] = 0; },
                "tenants[0].keys.k2.versions[1].version");
  ExpectProblem([](json& d) { d["tenants"][0]["keys"]["k2"]["versions"][1]["retired"] = true; },
                "tenants[0].keys.k2.versions", "retired");
  ExpectProblem([](json& d) { d["tenants"][0]["keys"]["k1"]["disabled"] = 1; },
                "tenants[0].keys.k1.disabled");
  // Two tenants may use the same externalKeyId (the standard config does: k1, shared).
  EXPECT_TRUE(ProblemsOf(doc_).empty());
}

TEST_F(ConfigTest, HealthCheckKeyMayNotBeATenantKey) {
  ExpectProblem([](json& d) { d["tenants"][0]["keys"]["k1"]["label"] = "hc"; },
                "tenants[0].keys.k1", "health-check key");
  ExpectProblem(
      [](json& d) { d["tenants"][0]["keys"]["k1"]["label"] = "pkcs11:object=hc;type=secret-key"; },
      "tenants[0].keys.k1", "health-check key");
}

TEST_F(ConfigTest, LoadConfigFileReportsSyntaxAndReadErrors) {
  const std::string bad = dir_.WriteFile("bad.json", "{ \"server\": ", 0600);
  auto r = LoadConfigFile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].path, "$");
  auto missing = LoadConfigFile(dir_.path() + "/none.json");
  ASSERT_FALSE(missing.ok());
  const std::string good = dir_.WriteFile("good.json", doc_.dump(), 0600);
  auto ok = LoadConfigFile(good);
  ASSERT_TRUE(ok.ok()) << FormatProblems(ok.error());
  EXPECT_EQ(ok->source_path, good);
}

TEST(SpecRulesTest, ExternalKeyIdAccessKeyIdAndSecret) {
  EXPECT_TRUE(IsValidExternalKeyId("b42c7fbf-de61-441c-ae24-123456789012"));
  EXPECT_TRUE(IsValidExternalKeyId("a.B_c-1"));
  EXPECT_TRUE(IsValidExternalKeyId(std::string(128, 'x')));
  EXPECT_FALSE(IsValidExternalKeyId(std::string(129, 'x')));
  EXPECT_FALSE(IsValidExternalKeyId(""));
  EXPECT_FALSE(IsValidExternalKeyId("a/b"));
  EXPECT_FALSE(IsValidExternalKeyId("a b"));
  EXPECT_TRUE(IsValidAccessKeyId("AKIAI2SFODNN7EXAMPLE"));
  EXPECT_FALSE(IsValidAccessKeyId("AKIAI2SFODNN7EXAMPL"));
  EXPECT_FALSE(IsValidAccessKeyId("AKIAI2SFODNN7EXAMPLE1"));  // '1' not in 2-7
  EXPECT_TRUE(IsValidSecretAccessKey("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE"));
  EXPECT_FALSE(IsValidSecretAccessKey(std::string(42, 'a')));
  EXPECT_FALSE(IsValidSecretAccessKey(std::string(65, 'a')));
}

}  // namespace
}  // namespace xks::config

namespace xks::config {
namespace {

// config/example.json is documentation; it must stay structurally valid. On a machine without its
// files and variables the only problems left are the missing files and variables themselves.
TEST(ExampleConfigTest, OnlyMissingFilesAndVariablesAreReported) {
  auto r = LoadConfigFile(std::string(XKS_SOURCE_DIR) + "/config/example.json");
  ASSERT_FALSE(r.ok());
  for (const Problem& p : r.error()) {
    const bool missing = p.Message().find("does not exist") != std::string::npos ||
                         p.Message().find("is not set") != std::string::npos;
    EXPECT_TRUE(missing) << p.ToString();
  }
  EXPECT_GE(r.error().size(), 5u);
}

}  // namespace
}  // namespace xks::config
