#include "proxy/config/audit_config.h"

#include <gtest/gtest.h>

#include "proxy/audit/file_signer.h"

namespace xks::config {
namespace {

nlohmann::json Minimal() {
  return {{"directory", "/var/log/xks"},
          {"instance_id", "xks-1"},
          {"signer", {{"type", "file"}, {"key_file", "/etc/xks/audit.pem"}}}};
}

TEST(AuditConfigTest, MinimalUsesDefaults) {
  auto c = ParseAuditConfig(Minimal(), "audit");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().durability, Durability::kFsync);
  EXPECT_EQ(c.value().checkpoint_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(c.value().signer.key_file, "/etc/xks/audit.pem");
  EXPECT_EQ(c.value().mirror, Mirror::kNone);
  EXPECT_EQ(c.value().refusal_aggregation_interval, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.value().refusal_aggregation_max_sources, 1024u);
}

TEST(AuditConfigTest, RefusalAggregationSettings) {
  nlohmann::json j = Minimal();
  j["refusal_aggregation_interval_ms"] = 0;
  j["refusal_aggregation_max_sources"] = 10;
  auto c = ParseAuditConfig(j, "audit");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().refusal_aggregation_interval, std::chrono::milliseconds(0));
  EXPECT_EQ(c.value().refusal_aggregation_max_sources, 10u);
  j["refusal_aggregation_interval_ms"] = 3600001;
  j["refusal_aggregation_max_sources"] = 0;
  auto bad = ParseAuditConfig(j, "audit");
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.error().size(), 2u);
  EXPECT_NE(bad.error()[0].ToString().find("audit.refusal_aggregation_interval_ms: out of range"),
            std::string::npos);
  EXPECT_NE(bad.error()[1].ToString().find("audit.refusal_aggregation_max_sources: out of range"),
            std::string::npos);
}

TEST(AuditConfigTest, AllFields) {
  nlohmann::json j = Minimal();
  j["durability"] = "write";
  j["checkpoint_interval_ms"] = 250;
  j["checkpoint_every"] = 100;
  j["rotate_bytes"] = 1048576;
  j["rotate_interval_s"] = 3600;
  j["mirror"] = "syslog";
  j["signer_grace_ms"] = 2000;
  j["retry_interval_ms"] = 50;
  j["file_prefix"] = "xks";
  auto c = ParseAuditConfig(j, "audit");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().durability, Durability::kWrite);
  EXPECT_EQ(c.value().checkpoint_every, 100u);
  EXPECT_EQ(c.value().rotate_bytes, 1048576u);
  EXPECT_EQ(c.value().rotate_interval, std::chrono::seconds(3600));
  EXPECT_EQ(c.value().mirror, Mirror::kSyslog);
  EXPECT_EQ(c.value().file_prefix, "xks");
}

TEST(AuditConfigTest, Pkcs11SignerIsTyped) {
  nlohmann::json j = Minimal();
  j["signer"] = {{"type", "pkcs11"}, {"token", "audit"}, {"key_label", "ckpt"}};
  auto c = ParseAuditConfig(j, "audit");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().signer.type, SignerConfig::Type::kPkcs11);
  EXPECT_EQ(c.value().signer.token, "audit");
  EXPECT_EQ(c.value().signer.key_label, "ckpt");
  EXPECT_FALSE(audit::MakeFileSigner(c.value().signer).ok());
}

TEST(AuditConfigTest, Pkcs11SignerNeedsTokenAndLabelAndNothingElse) {
  nlohmann::json j = Minimal();
  j["signer"] = {{"type", "pkcs11"}, {"key_file", "/etc/xks/audit.pem"}};
  auto c = ParseAuditConfig(j, "audit");
  ASSERT_FALSE(c.ok());
  std::string all;
  for (const auto& p : c.error()) all += p.ToString() + "\n";
  for (const char* want : {"audit.signer.token: missing", "audit.signer.key_label: missing",
                           "audit.signer.key_file: unknown key for a pkcs11 signer — remove it"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
  EXPECT_EQ(c.error().size(), 3u) << all;
}

TEST(AuditConfigTest, SerializedSectionParsesBackToTheSameConfig) {
  for (const nlohmann::json& signer :
       {nlohmann::json{{"type", "file"}, {"key_file", "k.pem"}},
        nlohmann::json{{"type", "pkcs11"}, {"token", "audit"}, {"key_label", "ckpt"}}}) {
    nlohmann::json j = Minimal();
    j["signer"] = signer;
    j["durability"] = "write";
    j["mirror"] = "stdout";
    auto c = ParseAuditConfig(j, "audit");
    ASSERT_TRUE(c.ok());
    auto again = ParseAuditConfig(SerializeAuditConfig(*c), "audit");
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again == *c) << SerializeAuditConfig(*c).dump();
  }
}

TEST(AuditConfigTest, EveryProblemIsReportedWithPathAndFix) {
  nlohmann::json j = {{"durability", "sometimes"}, {"checkpoint_interval_ms", 5},
                      {"rotate_bytes", 10},        {"mirror", 3},
                      {"colour", "blue"},          {"signer", {{"type", "file"}}}};
  auto c = ParseAuditConfig(j, "tenants.audit");
  ASSERT_FALSE(c.ok());
  std::string all;
  for (const auto& p : c.error()) all += p.ToString() + "\n";
  for (const char* want :
       {"tenants.audit.directory: missing", "tenants.audit.instance_id: missing",
        "tenants.audit.durability: must be \"fsync\" or \"write\"",
        "tenants.audit.checkpoint_interval_ms: out of range",
        "tenants.audit.rotate_bytes: too small", "tenants.audit.mirror: must be a string",
        "tenants.audit.colour: unknown key", "tenants.audit.signer.key_file: missing"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
  EXPECT_EQ(c.error().size(), 8u) << all;
}

TEST(AuditConfigTest, NotAnObject) {
  auto c = ParseAuditConfig(nlohmann::json::array(), "audit");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().size(), 1u);
}

TEST(AuditConfigTest, NegativeNumberIsAnError) {
  nlohmann::json j = Minimal();
  j["checkpoint_every"] = -1;
  EXPECT_FALSE(ParseAuditConfig(j, "audit").ok());
}

}  // namespace
}  // namespace xks::config
