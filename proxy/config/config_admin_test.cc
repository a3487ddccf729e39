// The `admin` and `log` objects: defaults, the exposure rule (loopback, or TLS plus a token or
// client certificates), the bearer token file, and the round trip through SerializeConfig.
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/config.h"
#include "proxy/config/testing/config_fixture.h"

namespace xks::config {
namespace {

using nlohmann::json;
using testing::StandardConfigJson;
using testing::TempDir;

class ConfigAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = StandardConfigJson(dir_);
    token_file_ = dir_.WriteFile("admin.token", "0123456789abcdef\n");
    cert_ = dir_.WriteFile("admin-cert.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    key_ = dir_.WriteFile("admin-key.pem", "-----BEGIN PRIVATE KEY-----\n");
  }
  json Tls(bool client_ca = false) {
    json tls = {{"certificate_chain_file", cert_}, {"private_key_file", key_}};
    if (client_ca) tls["client_ca_file"] = cert_;
    return tls;
  }
  // The problems of the standard document with `admin` set ("" when valid).
  std::string ProblemsWith(const json& admin) {
    json doc = doc_;
    doc["admin"] = admin;
    auto cfg = ParseConfig(doc, dir_.path());
    return cfg.ok() ? "" : FormatProblems(cfg.error());
  }

  TempDir dir_;
  json doc_;
  std::string token_file_, cert_, key_;
};

TEST_F(ConfigAdminTest, AbsentMeansNoListenerAndTextLogs) {
  auto cfg = ParseConfig(doc_, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_FALSE(cfg->admin.has_value());
  EXPECT_EQ(cfg->log.format, "text");
}

TEST_F(ConfigAdminTest, LoopbackDefaultsWithPlainHttp) {
  json doc = doc_;
  doc["admin"] = json::object();
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  ASSERT_TRUE(cfg->admin.has_value());
  EXPECT_EQ(cfg->admin->listen_address, "127.0.0.1");
  EXPECT_EQ(cfg->admin->port, 9443);
  EXPECT_FALSE(cfg->admin->tls.has_value());
  EXPECT_TRUE(cfg->admin->bearer_token.empty());
  EXPECT_EQ(ProblemsWith({{"listen_address", "::1"}, {"port", 9100}}), "");
  EXPECT_EQ(ProblemsWith({{"listen_address", "127.0.0.2"}}), "");
}

TEST_F(ConfigAdminTest, OffLoopbackNeedsTlsAndATokenOrClientCertificates) {
  const std::string refused = ProblemsWith({{"listen_address", "0.0.0.0"}});
  EXPECT_NE(refused.find("admin.listen_address: 0.0.0.0 is not a loopback address"),
            std::string::npos)
      << refused;
  EXPECT_NE(ProblemsWith({{"listen_address", "10.0.0.5"}, {"bearer_token_file", token_file_}})
                .find("admin.listen_address"),
            std::string::npos);
  EXPECT_NE(ProblemsWith({{"listen_address", "10.0.0.5"}, {"tls", Tls()}}).find("needs tls"),
            std::string::npos);
  // A host name is not known to be loopback.
  EXPECT_NE(ProblemsWith({{"listen_address", "localhost"}}).find("not a loopback"),
            std::string::npos);
  EXPECT_EQ(
      ProblemsWith(
          {{"listen_address", "10.0.0.5"}, {"tls", Tls()}, {"bearer_token_file", token_file_}}),
      "");
  EXPECT_EQ(ProblemsWith({{"listen_address", "10.0.0.5"}, {"tls", Tls(true)}}), "");
}

TEST_F(ConfigAdminTest, TheBearerTokenIsReadFromAnOwnerOnlyFile) {
  json doc = doc_;
  doc["admin"] = {{"bearer_token_file", "admin.token"}};  // relative to the file's directory
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->admin->bearer_token.view(), "0123456789abcdef");
  EXPECT_EQ(cfg->admin->bearer_token_file, dir_.path() + "/admin.token");

  const std::string open = dir_.WriteFile("open.token", "abc", 0644);
  EXPECT_NE(ProblemsWith({{"bearer_token_file", open}}).find("admin.bearer_token_file"),
            std::string::npos);
  const std::string empty = dir_.WriteFile("empty.token", "\n");
  EXPECT_NE(ProblemsWith({{"bearer_token_file", empty}}).find("is empty"), std::string::npos);
  EXPECT_NE(ProblemsWith({{"bearer_token_file", dir_.path() + "/missing"}})
                .find("admin.bearer_token_file"),
            std::string::npos);
}

TEST_F(ConfigAdminTest, ShapeProblems) {
  EXPECT_NE(ProblemsWith({{"listen", "127.0.0.1:9443"}}).find("admin.listen: unknown field"),
            std::string::npos);
  EXPECT_NE(ProblemsWith({{"port", 70000}}).find("admin.port"), std::string::npos);
  json doc = doc_;
  doc["server"]["listen_address"] = "127.0.0.1";
  doc["server"]["port"] = 9443;
  doc["admin"] = json::object();
  auto clash = ParseConfig(doc, dir_.path());
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(FormatProblems(clash.error()).find("admin.port"), std::string::npos);
}

TEST_F(ConfigAdminTest, LogFormat) {
  json doc = doc_;
  doc["log"] = {{"format", "json"}};
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->log.format, "json");
  doc["log"] = {{"format", "xml"}};
  auto bad = ParseConfig(doc, dir_.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(FormatProblems(bad.error()).find("log.format"), std::string::npos);
}

TEST_F(ConfigAdminTest, RoundTripsWithoutTheTokenValue) {
  json doc = doc_;
  doc["admin"] = {{"listen_address", "10.0.0.5"},
                  {"port", 9100},
                  {"tls", Tls(true)},
                  {"bearer_token_file", token_file_}};
  doc["log"] = {{"format", "json"}};
  auto first = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(first.ok()) << FormatProblems(first.error());
  const json written = SerializeConfig(*first);
  EXPECT_EQ(written.dump().find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(written["admin"]["bearer_token_file"], token_file_);
  auto second = ParseConfig(written, "/nonexistent-base-dir");
  ASSERT_TRUE(second.ok()) << FormatProblems(second.error());
  EXPECT_TRUE(*first == *second);
  const json short_form = SerializeConfig(*first, SerializeOptions{.omit_defaults = true});
  EXPECT_EQ(short_form["log"], json({{"format", "json"}}));
  auto third = ParseConfig(short_form, dir_.path());
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(*first == *third);
}

TEST(LoopbackAddressTest, RecognisesLoopbackLiteralsOnly) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.255.0.9"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackAddress("::"));
  EXPECT_FALSE(IsLoopbackAddress("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("localhost"));
  EXPECT_FALSE(IsLoopbackAddress(""));
}

}  // namespace
}  // namespace xks::config
