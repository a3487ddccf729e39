// tenants[].policy: a valid policy parses into its structures and survives the round trip; every
// kind of malformed policy is refused with the JSON path of the problem.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "proxy/config/config.h"
#include "proxy/config/testing/config_fixture.h"

namespace xks::config {
namespace {

using nlohmann::json;
using testing::IssuePolicyJson;
using testing::StandardConfigJson;
using testing::TempDir;

class ConfigPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = StandardConfigJson(dir_);
    doc_["tenants"][0]["policy"] = IssuePolicyJson();
  }

  // Applies `change` to tenants[0].policy and expects exactly one problem, at `path`.
  void ExpectPolicyProblem(const std::function<void(json&)>& change, const std::string& path,
                           const std::string& message_part) {
    json doc = doc_;
    change(doc["tenants"][0]["policy"]);
    auto cfg = ParseConfig(doc, dir_.path());
    ASSERT_FALSE(cfg.ok()) << "accepted: " << doc["tenants"][0]["policy"].dump();
    const Problems& problems = cfg.error();
    ASSERT_EQ(problems.size(), 1u) << FormatProblems(problems);
    EXPECT_EQ(problems[0].path, path) << FormatProblems(problems);
    EXPECT_NE(problems[0].Message().find(message_part), std::string::npos) << problems[0].Message();
  }

  TempDir dir_;
  json doc_;
};

TEST_F(ConfigPolicyTest, ParsesTheIssueExample) {
  auto cfg = ParseConfig(doc_, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  ASSERT_TRUE(cfg->tenants[0].policy.has_value());
  EXPECT_FALSE(cfg->tenants[1].policy.has_value()) << "no policy unless written";
  const PolicyConfig& p = *cfg->tenants[0].policy;
  EXPECT_EQ(p.mode, "enforce");
  ASSERT_EQ(p.statements.size(), 2u);
  EXPECT_EQ(p.statements[0].id, "deny-s3-decrypt");
  EXPECT_EQ(p.statements[0].effect, "deny");
  EXPECT_EQ(p.statements[0].operations, std::vector<std::string>{"decrypt"});
  EXPECT_TRUE(p.statements[0].keys.empty());
  EXPECT_EQ(p.statements[0].conditions.at("kmsViaService"), std::vector<std::string>{"s3"});
  EXPECT_EQ(p.statements[1].keys, (std::vector<std::string>{"k1", "prod-*"}));
  EXPECT_TRUE(p.statements[1].operations.empty()) << "absent means every operation";
}

TEST_F(ConfigPolicyTest, ModeDefaultsToEnforceAndAcceptsReport) {
  json doc = doc_;
  doc["tenants"][0]["policy"].erase("mode");
  auto cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->tenants[0].policy->mode, "enforce");
  doc["tenants"][0]["policy"]["mode"] = "report";
  cfg = ParseConfig(doc, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->tenants[0].policy->mode, "report");
}

TEST_F(ConfigPolicyTest, RoundTripsInBothForms) {
  doc_["tenants"][0]["policy"]["mode"] = "report";
  auto first = ParseConfig(doc_, dir_.path());
  ASSERT_TRUE(first.ok()) << FormatProblems(first.error());
  for (const SerializeOptions options : {SerializeOptions{}, SerializeOptions{true}}) {
    const json written = SerializeConfig(*first, options);
    EXPECT_EQ(written["tenants"][0]["policy"]["statements"],
              doc_["tenants"][0]["policy"]["statements"]);
    auto second = ParseConfig(written, dir_.path());
    ASSERT_TRUE(second.ok()) << FormatProblems(second.error()) << written.dump(2);
    EXPECT_TRUE(*first == *second) << written.dump(2);
    EXPECT_FALSE(written["tenants"][1].contains("policy"));
  }
  // Enforce is the default: the short form leaves it out, the full form spells it.
  first->tenants[0].policy->mode = "enforce";
  EXPECT_FALSE(SerializeConfig(*first, {true})["tenants"][0]["policy"].contains("mode"));
  EXPECT_EQ(SerializeConfig(*first)["tenants"][0]["policy"]["mode"], "enforce");
}

TEST_F(ConfigPolicyTest, RefusesMalformedPolicies) {
  const std::string s0 = "tenants[0].policy.statements[0]";
  const std::string s1 = "tenants[0].policy.statements[1]";
  ExpectPolicyProblem([](json& p) { p["mode"] = "audit"; }, "tenants[0].policy.mode",
                      "enforce or report");
  ExpectPolicyProblem([](json& p) { p["statement"] = json::array(); },
                      "tenants[0].policy.statement", "unknown field");
  ExpectPolicyProblem([](json& p) { p.erase("statements"); }, "tenants[0].policy.statements",
                      "missing");
  ExpectPolicyProblem([](json& p) { p["statements"] = json::array(); },
                      "tenants[0].policy.statements", "empty");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["id"] = "deny-s3-decrypt"; }, s1 + ".id",
                      "duplicate statement id deny-s3-decrypt");
  ExpectPolicyProblem([](json& p) { p["statements"][0].erase("id"); }, s0 + ".id", "missing");
  ExpectPolicyProblem([](json& p) { p["statements"][0]["id"] = "has space"; }, s0 + ".id",
                      "A-Z a-z");
  ExpectPolicyProblem([](json& p) { p["statements"][0]["effect"] = "permit"; }, s0 + ".effect",
                      "allow or deny");
  ExpectPolicyProblem(
      [](json& p) {
        p["statements"][0]["operations"] = {"decrypt", "health"};
      },
      s0 + ".operations[1]", "unknown operation health");
  ExpectPolicyProblem([](json& p) { p["statements"][0]["operations"] = json::array(); },
                      s0 + ".operations", "empty");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["keys"] = json::array(); }, s1 + ".keys",
                      "empty");
  ExpectPolicyProblem(
      [](json& p) {
        p["statements"][1]["keys"] = {"k1", "k[12]"};
      },
      s1 + ".keys[1]", "only * ");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["keys"] = {"arn:aws:*"}; }, s1 + ".keys[0]",
                      "matches no externalKeyId");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["keys"] = "k1"; }, s1 + ".keys", "array");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["conditions"]["kmsKeyArn"] = {""}; },
                      s1 + ".conditions.kmsKeyArn[0]", "empty");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["conditions"]["kmsKeyArn"] = {"a{b}"}; },
                      s1 + ".conditions.kmsKeyArn[0]", "only * ");
  ExpectPolicyProblem(
      [](json& p) { p["statements"][1]["conditions"]["kmsKeyArn"] = json::array(); },
      s1 + ".conditions.kmsKeyArn", "empty");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["conditions"]["kmsKeyARN"] = {"x"}; },
                      s1 + ".conditions.kmsKeyARN", "unknown condition field");
  ExpectPolicyProblem([](json& p) { p["statements"][1]["conditions"] = json::object(); },
                      s1 + ".conditions", "empty");
  ExpectPolicyProblem([](json& p) { p["statements"][0]["key"] = {"k1"}; }, s0 + ".key",
                      "unknown field");
  ExpectPolicyProblem([](json& p) { p["statements"][0] = "deny everything"; }, s0, "JSON object");
  ExpectPolicyProblem([](json& p) { p = "enforce"; }, "tenants[0].policy", "JSON object");
}

}  // namespace
}  // namespace xks::config
