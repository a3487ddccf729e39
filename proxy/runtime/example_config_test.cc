// The shipped example configuration must stay acceptable to every parser that reads it: the tenant
// loader's (tested in proxy/tenant) and the audit writer's, and its audit signer must not sit in a
// tenant's token.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "proxy/config/audit_config.h"

namespace xks::runtime {
namespace {

TEST(ExampleConfigTest, AuditSectionParsesAndItsSignerTokenIsNoTenantsToken) {
  std::ifstream in(std::string(XKS_SOURCE_DIR) + "/config/example.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json doc = nlohmann::json::parse(in);
  auto audit = config::ParseAuditConfig(doc.at("audit"), "audit");
  ASSERT_TRUE(audit.ok()) << (audit.ok() ? "" : audit.error().front().ToString());
  ASSERT_EQ(audit->signer.type, config::SignerConfig::Type::kPkcs11);
  const std::string token = audit->signer.token;
  bool declared = false;
  for (const auto& t : doc.at("hsm").at("tokens")) declared |= t.at("id") == token;
  EXPECT_TRUE(declared) << token << " is not in hsm.tokens";
  for (const auto& tenant : doc.at("tenants")) EXPECT_NE(tenant.at("token"), token);
}

}  // namespace
}  // namespace xks::runtime
