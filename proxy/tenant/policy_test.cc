#include "proxy/tenant/policy.h"

#include <gtest/gtest.h>

#include <string>

namespace xks::tenant {
namespace {

using config::PolicyConfig;
using config::PolicyStatementConfig;

// The issue's example: S3 may not decrypt; account 111122223333 may use k1 and prod-* keys.
PolicyConfig IssueExamplePolicy(const std::string& mode = "enforce") {
  PolicyConfig p;
  p.mode = mode;
  p.statements.push_back({"deny-s3-decrypt", "deny", {"decrypt"}, {}, {{"kmsViaService", {"s3"}}}});
  p.statements.push_back({"acct-ebs",
                          "allow",
                          {},
                          {"k1", "prod-*"},
                          {{"kmsKeyArn", {"arn:aws:kms:*:111122223333:key/*"}}}});
  return p;
}

constexpr std::string_view kOurArn = "arn:aws:kms:eu-west-1:111122223333:key/abcd";
constexpr std::string_view kOtherArn = "arn:aws:kms:eu-west-1:999999999999:key/abcd";

PolicyRequest Req(PolicyOperation op, std::string_view key, std::string_view arn = kOurArn) {
  PolicyRequest r;
  r.operation = op;
  r.external_key_id = key;
  if (!arn.empty()) {
    EXPECT_TRUE(r.SetField("kmsKeyArn", arn));
  }
  return r;
}

struct Row {
  const char* name;
  PolicyRequest request;
  bool allowed;
  const char* described;
};

TEST(PolicyTest, IssueExampleDecisionTable) {
  const Policy policy = Policy::Compile(IssueExamplePolicy());
  PolicyRequest via_s3 = Req(PolicyOperation::kDecrypt, "k1");
  via_s3.SetField("kmsViaService", "s3");
  PolicyRequest via_ebs = Req(PolicyOperation::kDecrypt, "k1");
  via_ebs.SetField("kmsViaService", "ebs");
  PolicyRequest s3_encrypt = Req(PolicyOperation::kEncrypt, "prod-db");
  s3_encrypt.SetField("kmsViaService", "s3");
  const Row rows[] = {
      {"exact key, matching ARN", Req(PolicyOperation::kEncrypt, "k1"), true, "acct-ebs"},
      {"glob key", Req(PolicyOperation::kMetadata, "prod-db"), true, "acct-ebs"},
      {"key outside the list", Req(PolicyOperation::kEncrypt, "k2"), false, "default deny"},
      {"glob key prefix only", Req(PolicyOperation::kEncrypt, "prod"), false, "default deny"},
      {"other account", Req(PolicyOperation::kEncrypt, "k1", kOtherArn), false, "default deny"},
      {"absent ARN never matches", Req(PolicyOperation::kEncrypt, "k1", ""), false, "default deny"},
      {"deny over allow", via_s3, false, "deny-s3-decrypt"},
      {"deny condition not met", via_ebs, true, "acct-ebs"},
      {"deny is for decrypt only", s3_encrypt, true, "acct-ebs"},
  };
  for (const Row& row : rows) {
    const PolicyDecision d = policy.Evaluate(row.request);
    EXPECT_EQ(d.allowed, row.allowed) << row.name;
    EXPECT_EQ(d.policy_denies, !row.allowed) << row.name;
    EXPECT_EQ(d.Describe(), row.described) << row.name;
  }
}

// One statement per condition field: each allows only its own value and refuses a request that
// lacks the field or carries another value.
TEST(PolicyTest, EveryConditionFieldMatchesExactGlobAndAbsent) {
  for (std::string_view field : config::kPolicyConditionFields) {
    PolicyConfig config;
    config.statements.push_back(
        {"only-" + std::string(field), "allow", {}, {}, {{std::string(field), {"v-*", "exact"}}}});
    const Policy policy = Policy::Compile(config);
    auto decide = [&](std::optional<std::string_view> value) {
      PolicyRequest r;
      r.external_key_id = "k1";
      if (value) r.SetField(field, *value);
      return policy.Evaluate(r).allowed;
    };
    EXPECT_TRUE(decide("exact")) << field;
    EXPECT_TRUE(decide("v-1")) << field;
    EXPECT_FALSE(decide("exact2")) << field;
    EXPECT_FALSE(decide("w-1")) << field;
    EXPECT_FALSE(decide(std::nullopt)) << field << " absent";
  }
}

TEST(PolicyTest, EveryListedConditionMustMatch) {
  PolicyConfig config;
  config.statements.push_back({"both",
                               "allow",
                               {},
                               {},
                               {{"awsPrincipalArn", {"arn:aws:iam::1:role/*"}},
                                {"kmsOperation", {"Decrypt", "ReEncrypt*"}}}});
  const Policy policy = Policy::Compile(config);
  PolicyRequest r;
  r.operation = PolicyOperation::kDecrypt;
  r.SetField("awsPrincipalArn", "arn:aws:iam::1:role/ebs");
  EXPECT_FALSE(policy.Evaluate(r).allowed) << "kmsOperation absent";
  r.SetField("kmsOperation", "ReEncryptFrom");
  EXPECT_TRUE(policy.Evaluate(r).allowed);
  r.SetField("kmsOperation", "Encrypt");
  EXPECT_FALSE(policy.Evaluate(r).allowed);
}

TEST(PolicyTest, OperationsDefaultToAllAndRestrictWhenListed) {
  PolicyConfig config;
  config.statements.push_back({"meta-only", "allow", {"metadata"}, {}, {}});
  config.statements.push_back({"everything-k9", "allow", {}, {"k9"}, {}});
  const Policy policy = Policy::Compile(config);
  EXPECT_EQ(policy.Evaluate(Req(PolicyOperation::kMetadata, "k1")).Describe(), "meta-only");
  EXPECT_FALSE(policy.Evaluate(Req(PolicyOperation::kEncrypt, "k1")).allowed);
  EXPECT_EQ(policy.Evaluate(Req(PolicyOperation::kDecrypt, "k9")).Describe(), "everything-k9");
}

TEST(PolicyTest, FirstMatchingAllowNamesTheDecisionAndALaterDenyStillWins) {
  PolicyConfig config;
  config.statements.push_back({"allow-a", "allow", {}, {"k*"}, {}});
  config.statements.push_back({"allow-b", "allow", {}, {"k1"}, {}});
  config.statements.push_back({"deny-k1", "deny", {"encrypt"}, {"k1"}, {}});
  const Policy policy = Policy::Compile(config);
  EXPECT_EQ(policy.Evaluate(Req(PolicyOperation::kDecrypt, "k1")).Describe(), "allow-a");
  const PolicyDecision denied = policy.Evaluate(Req(PolicyOperation::kEncrypt, "k1"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.Describe(), "deny-k1");
}

TEST(PolicyTest, OnlyDenyStatementsDenyEverythingByDefault) {
  PolicyConfig config;
  config.statements.push_back({"deny-k1", "deny", {}, {"k1"}, {}});
  const Policy policy = Policy::Compile(config);
  EXPECT_EQ(policy.Evaluate(Req(PolicyOperation::kEncrypt, "k1")).Describe(), "deny-k1");
  EXPECT_EQ(policy.Evaluate(Req(PolicyOperation::kEncrypt, "k2")).Describe(), "default deny");
  EXPECT_FALSE(policy.Evaluate(Req(PolicyOperation::kEncrypt, "k2")).allowed);
}

TEST(PolicyTest, ReportModeDecidesButNeverDenies) {
  const Policy policy = Policy::Compile(IssueExamplePolicy("report"));
  EXPECT_TRUE(policy.report_only());
  PolicyRequest via_s3 = Req(PolicyOperation::kDecrypt, "k1");
  via_s3.SetField("kmsViaService", "s3");
  const PolicyDecision explicit_deny = policy.Evaluate(via_s3);
  EXPECT_TRUE(explicit_deny.allowed);
  EXPECT_TRUE(explicit_deny.policy_denies);
  EXPECT_EQ(explicit_deny.Describe(), "report: deny-s3-decrypt");
  const PolicyDecision default_deny = policy.Evaluate(Req(PolicyOperation::kEncrypt, "zzz"));
  EXPECT_TRUE(default_deny.allowed);
  EXPECT_EQ(default_deny.Describe(), "report: default deny");
  const PolicyDecision allowed = policy.Evaluate(Req(PolicyOperation::kEncrypt, "k1"));
  EXPECT_TRUE(allowed.allowed);
  EXPECT_FALSE(allowed.policy_denies);
  EXPECT_EQ(allowed.Describe(), "acct-ebs");
}

TEST(PolicyTest, UnknownFieldNamesAreNotSet) {
  PolicyRequest r;
  EXPECT_FALSE(r.SetField("kmsKeyARN", "x"));
  EXPECT_TRUE(r.SetField("awsSourceVpce", "vpce-1"));
  EXPECT_EQ(PolicyOperationFromName("health"), std::nullopt);
  EXPECT_EQ(PolicyOperationFromName("decrypt"), PolicyOperation::kDecrypt);
}

}  // namespace
}  // namespace xks::tenant
