// `xksctl policy show|eval` in-process (RunXksctl) against a configuration file with the issue's
// policy: the answers, the deciding statements, --json, and the usage errors.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/config/testing/config_fixture.h"
#include "tools/xksctl/commands.h"

namespace xks::xksctl {
namespace {

using nlohmann::json;

class XksctlPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json doc = config::testing::StandardConfigJson(dir_);
    doc["tenants"][0]["policy"] = config::testing::IssuePolicyJson();
    path_ = dir_.path() + "/xks.json";
    std::ofstream(path_) << doc.dump(2);
  }

  struct Outcome {
    int code;
    std::string out, err;
    json Json() const { return json::parse(out); }
  };
  Outcome Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", path_});
    std::ostringstream out, err;
    const int code = RunXksctl(args, out, err);
    return {code, out.str(), err.str()};
  }

  config::testing::TempDir dir_;
  std::string path_;
};

constexpr const char* kOurArn = "kmsKeyArn=arn:aws:kms:eu-west-1:111122223333:key/abc";

TEST_F(XksctlPolicyTest, ShowPrintsTheStatementsAndTheirJson) {
  Outcome text = Run({"policy", "show", "acme"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("policy mode enforce"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("deny  deny-s3-decrypt"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("keys:       k1, prod-*"), std::string::npos) << text.out;
  Outcome js = Run({"--json", "policy", "show", "acme"});
  ASSERT_EQ(js.code, 0) << js.err;
  EXPECT_EQ(js.Json()["policy"]["statements"][1]["id"], "acct-ebs");
  EXPECT_EQ(js.Json()["policy"]["mode"], "enforce");
  Outcome none = Run({"--json", "policy", "show", "globex"});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_TRUE(none.Json()["policy"].is_null());
  EXPECT_EQ(Run({"policy", "show", "nobody"}).code, kExitFailed);
}

TEST_F(XksctlPolicyTest, EvalNamesTheDecidingStatement) {
  Outcome allowed =
      Run({"policy", "eval", "acme", "--operation", "encrypt", "--key", "k1", "--field", kOurArn});
  ASSERT_EQ(allowed.code, 0) << allowed.err;
  EXPECT_EQ(allowed.out, "allowed by statement acct-ebs\n");

  Outcome denied = Run({"--json", "policy", "eval", "acme", "--operation", "decrypt", "--key",
                        "prod-db", "--field", kOurArn, "--field", "kmsViaService=s3"});
  ASSERT_EQ(denied.code, 0) << denied.err;
  const json d = denied.Json();
  EXPECT_FALSE(d["allowed"].get<bool>());
  EXPECT_EQ(d["statement"], "deny-s3-decrypt");
  EXPECT_EQ(d["policy_statement"], "deny-s3-decrypt");
  EXPECT_FALSE(d["key_configured"].get<bool>());

  Outcome by_default = Run({"policy", "eval", "acme", "--operation", "encrypt", "--key", "k1",
                            "--metadata", R"({"kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/x"})"});
  ASSERT_EQ(by_default.code, 0) << by_default.err;
  EXPECT_EQ(by_default.out, "denied by default deny\n");

  Outcome no_policy = Run({"policy", "eval", "globex", "--operation", "encrypt", "--key", "k1"});
  ASSERT_EQ(no_policy.code, 0) << no_policy.err;
  EXPECT_EQ(no_policy.out, "allowed: tenant globex has no policy\n");
}

TEST_F(XksctlPolicyTest, EvalRefusesBadArguments) {
  EXPECT_EQ(Run({"policy", "eval", "acme", "--operation", "health", "--key", "k1"}).code,
            kExitUsage);
  EXPECT_EQ(Run({"policy", "eval", "acme", "--operation", "encrypt"}).code, kExitUsage);
  EXPECT_EQ(Run({"policy", "eval", "acme", "--operation", "encrypt", "--key", "k/1"}).code,
            kExitUsage);
  Outcome typo = Run({"policy", "eval", "acme", "--operation", "encrypt", "--key", "k1", "--field",
                      "kmsKeyARN=x"});
  EXPECT_EQ(typo.code, kExitUsage);
  EXPECT_NE(typo.err.find("kmsKeyArn"), std::string::npos) << typo.err;
  EXPECT_EQ(
      Run({"policy", "eval", "acme", "--operation", "encrypt", "--key", "k1", "--metadata", "[1]"})
          .code,
      kExitUsage);
}

// Another command rewriting the file keeps the policy as written, comment keys included.
TEST_F(XksctlPolicyTest, EditsOfTheFileKeepThePolicyAndItsComments) {
  std::ifstream in(std::string(XKS_SOURCE_DIR) + "/config/examples/confused-deputy-policy.json");
  json doc = json::parse(std::ifstream(path_));
  doc["tenants"][0]["policy"] = json::parse(in);
  doc["tenants"][0]["policy"]["statements"][1]["conditions"]["_why"] = "comments are kept";
  std::ofstream(path_) << doc.dump(2);
  Outcome disabled = Run({"tenant", "disable", "acme"});
  ASSERT_EQ(disabled.code, 0) << disabled.err;
  const json written = json::parse(std::ifstream(path_));
  EXPECT_TRUE(written["tenants"][0]["disabled"].get<bool>());
  EXPECT_EQ(written["tenants"][0]["policy"], doc["tenants"][0]["policy"]);
}

}  // namespace
}  // namespace xks::xksctl
