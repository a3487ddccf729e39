// config/examples/confused-deputy-policy.json: it validates as a tenant's policy, and it does what
// docs/configuration.md says — Alice's KMS keys may use her external keys, Bob's KMS key over the
// same external key may not (not even to describe it), S3 never decrypts archive keys.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "proxy/tenant/testing/registry_fixture.h"

namespace xks::tenant {
namespace {

constexpr std::string_view kAliceKmsKey = "arn:aws:kms:eu-west-1:111122223333:key/a11ce";
constexpr std::string_view kBobKmsKey = "arn:aws:kms:eu-west-1:444455556666:key/b0b";

class ConfusedDeputyExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(XKS_SOURCE_DIR) + "/config/examples/confused-deputy-policy.json");
    ASSERT_TRUE(in) << "config/examples/confused-deputy-policy.json is missing";
    nlohmann::json doc = testing::StandardConfigJson(dir_);
    doc["tenants"][0]["policy"] = nlohmann::json::parse(in);
    registry_ = testing::BuildRegistry(doc, dir_.path());  // fails the test on any problem
    policy_ = registry_->FindByName("acme")->policy.get();
    ASSERT_NE(policy_, nullptr);
  }
  std::string Decide(PolicyOperation op, std::string_view key, std::string_view kms_key_arn,
                     std::string_view via = "") {
    PolicyRequest r;
    r.operation = op;
    r.external_key_id = key;
    r.SetField("kmsKeyArn", kms_key_arn);
    if (!via.empty()) r.SetField("kmsViaService", via);
    const PolicyDecision d = policy_->Evaluate(r);
    return (d.allowed ? "allow " : "deny ") + d.Describe();
  }

  testing::TempDir dir_;
  std::shared_ptr<const TenantRegistry> registry_;
  const Policy* policy_ = nullptr;
};

TEST_F(ConfusedDeputyExampleTest, OnlyAlicesKmsKeysUseHerExternalKeys) {
  using enum PolicyOperation;
  EXPECT_EQ(Decide(kEncrypt, "payments-key", kAliceKmsKey), "allow alice-account-keys");
  EXPECT_EQ(Decide(kDecrypt, "archive-2025", kAliceKmsKey, "ebs"), "allow alice-account-keys");
  // Bob's KMS key B over the same external key: no allow matches, not even CreateKey's describe.
  EXPECT_EQ(Decide(kMetadata, "payments-key", kBobKmsKey), "deny default deny");
  EXPECT_EQ(Decide(kDecrypt, "payments-key", kBobKmsKey), "deny default deny");
  EXPECT_EQ(Decide(kDecrypt, "archive-2025", kAliceKmsKey, "s3"), "deny deny-s3-decrypt-archive");
  EXPECT_EQ(Decide(kEncrypt, "other-key", kAliceKmsKey), "deny default deny");
}

TEST_F(ConfusedDeputyExampleTest, BreakGlassNeedsBothItsRoleAndItsEndpoint) {
  PolicyRequest r;
  r.operation = PolicyOperation::kDecrypt;
  r.external_key_id = "any-key";
  r.SetField("awsPrincipalArn", "arn:aws:iam::111122223333:role/BreakGlass");
  EXPECT_FALSE(policy_->Evaluate(r).allowed) << "no awsSourceVpce: absent never matches";
  r.SetField("awsSourceVpce", "vpce-0a1b2c3d4e5f12345");
  EXPECT_EQ(policy_->Evaluate(r).Describe(), "alice-break-glass");
  r.operation = PolicyOperation::kEncrypt;
  EXPECT_FALSE(policy_->Evaluate(r).allowed);
}

}  // namespace
}  // namespace xks::tenant
