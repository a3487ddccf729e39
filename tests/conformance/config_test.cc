#include "conformance/config.h"

#include <gtest/gtest.h>

#include "conformance/report.h"
#include "conformance/runner.h"

namespace xks::conformance {
namespace {

TEST(ConformanceConfig, EnvTextSetsEveryKey) {
  Config c;
  const std::string text = R"(# quickstart
XKS_ENDPOINT=https://127.0.0.1:8443
export XKS_URI_PREFIX="/tenant-a/kms/xks/v1"
XKS_ACCESS_KEY_ID=AKIAEXAMPLE234567ABC
XKS_SECRET_ACCESS_KEY='abc+/='
XKS_KEY_ID=k1
XKS_ENCRYPT_ONLY_KEY_ID=e1
XKS_DECRYPT_ONLY_KEY_ID=d1
XKS_NO_USAGE_KEY_ID=n1
XKS_DISABLED_KEY_ID=x1
XKS_TENANT2_URI_PREFIX=/tenant-b
XKS_TENANT2_ACCESS_KEY_ID=AKIB
XKS_TENANT2_SECRET_ACCESS_KEY=s2
XKS_TENANT2_KEY_ID=k2
XKS_CA_FILE=/tmp/ca.pem
XKS_SERVER_NAME=xks.example.com
XKS_INSECURE_SKIP_VERIFY=true
XKS_LATENCY_SAMPLES=4
SOME_OTHER_TOOL_KEY=ignored
)";
  ASSERT_TRUE(ApplyEnvText(text, c).ok());
  EXPECT_EQ(c.endpoint, "https://127.0.0.1:8443");
  EXPECT_EQ(c.tenant.uri_prefix, "/tenant-a/kms/xks/v1");
  EXPECT_EQ(c.tenant.secret_access_key, "abc+/=");
  EXPECT_EQ(c.disabled_key_id, "x1");
  EXPECT_EQ(c.tenant2.key_id, "k2");
  EXPECT_TRUE(c.insecure_skip_verify);
  EXPECT_EQ(c.latency_samples, 4);
  EXPECT_TRUE(c.HasTenant2());
  EXPECT_FALSE(ApplyEnvText("NOT A PAIR", c).ok());
}

TEST(ConformanceConfig, FlagsOverrideAndEndpointIsParsed) {
  const char* argv[] = {"xks-conformance",
                        "--endpoint",
                        "http://localhost:9000",
                        "--uri-prefix",
                        "tenant/kms/xks/v1/",
                        "--access-key-id=AK",
                        "--secret-access-key",
                        "S",
                        "--key-id",
                        "k",
                        "--only",
                        "auth.*,health"};
  auto c = ParseCommandLine(static_cast<int>(std::size(argv)), argv);
  ASSERT_TRUE(c.ok()) << FormatProblems(c.error());
  EXPECT_FALSE(c->help);
  EXPECT_FALSE(c->tls);
  EXPECT_EQ(c->host, "localhost");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->tenant.uri_prefix, "/tenant");
  EXPECT_EQ(c->only, (std::vector<std::string>{"auth.*", "health"}));
  EXPECT_FALSE(c->HasTenant2());
}

TEST(ConformanceConfig, NormalizePrefix) {
  EXPECT_EQ(NormalizePrefix(""), "");
  EXPECT_EQ(NormalizePrefix("/kms/xks/v1"), "");
  EXPECT_EQ(NormalizePrefix("/a/b/"), "/a/b");
  EXPECT_EQ(NormalizePrefix("a/kms/xks/v1"), "/a");
}

TEST(ConformanceCatalogue, IdsUniqueGroupedAndAtLeastSixty) {
  const auto& cases = Catalogue();
  EXPECT_GE(cases.size(), 60u);
  std::set<std::string> ids;
  const std::set<std::string> groups = {"health", "metadata", "encrypt",  "decrypt",
                                        "errors", "auth",     "transport"};
  for (const auto& c : cases) {
    EXPECT_TRUE(ids.insert(c.info.id).second) << "duplicate " << c.info.id;
    EXPECT_TRUE(groups.count(c.info.group)) << c.info.id;
    EXPECT_EQ(c.info.id.rfind(c.info.group + ".", 0), 0u) << c.info.id;
    EXPECT_FALSE(c.info.spec_ref.empty()) << c.info.id;
    EXPECT_FALSE(c.info.expectation.empty()) << c.info.id;
  }
}

TEST(ConformanceCatalogue, OnlyPatterns) {
  EXPECT_TRUE(MatchesAny("auth.wrong-secret-401", {}));
  EXPECT_TRUE(MatchesAny("auth.wrong-secret-401", {"auth"}));
  EXPECT_TRUE(MatchesAny("auth.wrong-secret-401", {"x", "*secret*"}));
  EXPECT_FALSE(MatchesAny("auth.wrong-secret-401", {"encrypt", "*.tls*"}));
}

TEST(ConformanceReport, JUnitAndExitCriterion) {
  CaseResult pass{{"health.a", "health", "ref", "exp", true}, Outcome::kPass, "ok", 0.1};
  CaseResult should{{"auth.b", "auth", "ref", "exp <&>", false}, Outcome::kFail, "bad \"x\"", 0};
  CaseResult skip{{"auth.c", "auth", "ref", "exp", true}, Outcome::kSkip, "no key", 0};
  std::vector<CaseResult> results = {pass, should, skip};
  EXPECT_TRUE(AllRequiredPassed(results));
  const std::string xml = JUnitXml(results);
  EXPECT_NE(xml.find("<testsuite name=\"xks-conformance.auth\" tests=\"2\" failures=\"1\" "
                     "errors=\"0\" skipped=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("exp &lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"no key\"/>"), std::string::npos);
  CaseResult must = should;
  must.info.required = true;
  results.push_back(must);
  EXPECT_FALSE(AllRequiredPassed(results));
}

TEST(ConformanceReport, UnwritableJUnitFileIsAProblemAtTheFlag) {
  auto written = WriteJUnit("/nonexistent-dir/report.xml", {});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().ToString(), "--junit: cannot write /nonexistent-dir/report.xml");
}

}  // namespace
}  // namespace xks::conformance
