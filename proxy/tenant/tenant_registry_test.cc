#include "proxy/tenant/tenant_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "proxy/tenant/registry_holder.h"
#include "proxy/tenant/testing/registry_fixture.h"

namespace xks::tenant {
namespace {

using nlohmann::json;
using testing::StandardConfigJson;
using testing::TempDir;

TEST(TenantRegistryTest, RoutesPrefixesAndExposesTenants) {
  TempDir dir;
  auto reg = testing::BuildRegistry(StandardConfigJson(dir), dir.path());
  const Tenant* acme = reg->FindByPathPrefix("/acme");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->name, "acme");
  EXPECT_EQ(acme->token_ids, std::vector<std::string>{"tok-acme"});
  EXPECT_EQ(reg->FindByPathPrefix("")->name, "globex");
  EXPECT_EQ(reg->FindByPathPrefix("/acm"), nullptr);
  EXPECT_EQ(reg->FindByPathPrefix("/acme/x"), nullptr);
  EXPECT_EQ(reg->FindByName("globex")->path_prefix, "");
  EXPECT_EQ(reg->FindByAccessKeyId(testing::kAcmeAccessKey2), acme);
  EXPECT_EQ(reg->FindByAccessKeyId("AKIANOBODYNOBODYNOBO"), nullptr);
  ASSERT_EQ(acme->credentials.size(), 2u);
  EXPECT_EQ(acme->credentials[0].secret_access_key.view(), testing::kAcmeSecret);
  EXPECT_TRUE(acme->HasAccessKeyId(testing::kAcmeAccessKey));
  EXPECT_FALSE(acme->HasAccessKeyId(testing::kGlobexAccessKey));
  EXPECT_EQ(reg->TenantTokenIds(), (std::vector<std::string>{"tok-acme", "tok-globex"}));
  EXPECT_EQ(reg->config().hsm.tokens.size(), 2u);
  EXPECT_TRUE(reg->config().tenants[0].credentials.empty()) << "secrets moved, not copied";
}

TEST(TenantRegistryTest, KeyVersions) {
  TempDir dir;
  auto reg = testing::BuildRegistry(StandardConfigJson(dir), dir.path());
  const Tenant* acme = reg->FindByName("acme");
  const TenantKey* k2 = acme->FindKey("k2");
  ASSERT_NE(k2, nullptr);
  EXPECT_EQ(k2->Current()->version, 2);
  EXPECT_EQ(k2->Current()->label, "acme-k2-v2");
  EXPECT_EQ(k2->Find(1)->label, "acme-k2-v1");
  EXPECT_EQ(k2->Find(3), nullptr);
  EXPECT_EQ(acme->FindKey("k1")->Current()->version, 1);
  EXPECT_TRUE(acme->FindKey("off")->disabled);
  EXPECT_EQ(acme->FindKey("globex-only"), nullptr);
  // Same externalKeyId, different keys.
  EXPECT_EQ(reg->FindByName("globex")->FindKey("k1")->Current()->label, "globex-k1");
}

class RegistryHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = StandardConfigJson(dir_);
    path_ = dir_.WriteFile("config.json", doc_.dump(), 0600);
  }
  TempDir dir_;
  json doc_;
  std::string path_;
};

TEST_F(RegistryHolderTest, LoadReportsProblems) {
  json bad = doc_;
  bad["tenants"][0]["token"] = "tok-globex";
  bad["server"]["port"] = "443";
  auto holder = RegistryHolder::Load(dir_.WriteFile("bad.json", bad.dump(), 0600));
  ASSERT_FALSE(holder.ok());
  EXPECT_EQ(holder.error().size(), 2u) << FormatProblems(holder.error());
}

TEST_F(RegistryHolderTest, ReloadSwapsAtomicallyAndOldSnapshotsStayIntact) {
  auto loaded = RegistryHolder::Load(path_);
  ASSERT_TRUE(loaded.ok()) << FormatProblems(loaded.error());
  RegistryHolder& holder = *loaded.value();
  std::shared_ptr<const TenantRegistry> before = holder.Current();
  ASSERT_NE(before->FindByName("acme")->FindKey("k1"), nullptr);

  json next = doc_;
  next["tenants"][0]["keys"].erase("k1");
  next["tenants"][0]["keys"]["k9"] = {{"label", "acme-k9"}};
  dir_.WriteFile("config.json", next.dump(), 0600);
  auto reloaded = holder.Reload();
  ASSERT_TRUE(reloaded.ok()) << FormatProblems(reloaded.error());

  // A request that took the old snapshot keeps seeing all of the old configuration.
  EXPECT_NE(before->FindByName("acme")->FindKey("k1"), nullptr);
  EXPECT_EQ(before->FindByName("acme")->FindKey("k9"), nullptr);
  EXPECT_EQ(before->FindByName("acme")->credentials[0].secret_access_key.view(),
            testing::kAcmeSecret);
  // New requests see all of the new one.
  auto after = holder.Current();
  EXPECT_EQ(after, reloaded.value());
  EXPECT_EQ(after->FindByName("acme")->FindKey("k1"), nullptr);
  EXPECT_NE(after->FindByName("acme")->FindKey("k9"), nullptr);
}

TEST_F(RegistryHolderTest, FailedReloadKeepsTheRunningSnapshot) {
  auto loaded = RegistryHolder::Load(path_);
  ASSERT_TRUE(loaded.ok());
  RegistryHolder& holder = *loaded.value();
  auto before = holder.Current();
  json bad = doc_;
  bad["tenants"][1]["path_prefix"] = "/acme";
  bad["tenants"][1]["keys"]["x"] = json::object();
  dir_.WriteFile("config.json", bad.dump(), 0600);
  auto r = holder.Reload();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().size(), 2u) << FormatProblems(r.error());
  EXPECT_EQ(holder.Current(), before);
  dir_.WriteFile("config.json", "not json", 0600);
  EXPECT_FALSE(holder.Reload().ok());
  EXPECT_EQ(holder.Current(), before);
}

TEST_F(RegistryHolderTest, ReadersDuringReloadSeeOneWholeSnapshot) {
  auto loaded = RegistryHolder::Load(path_);
  ASSERT_TRUE(loaded.ok());
  RegistryHolder& holder = *loaded.value();
  // Two configurations that differ in two places; a reader must never see one change without
  // the other.
  json a = doc_, b = doc_;
  b["tenants"][0]["keys"]["k1"]["label"] = "acme-k1-new";
  b["tenants"][1]["keys"]["k1"]["label"] = "globex-k1-new";
  auto reg_a = testing::BuildRegistry(a, dir_.path());
  auto reg_b = testing::BuildRegistry(b, dir_.path());
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto snap = holder.Current();
      const bool acme_new =
          snap->FindByName("acme")->FindKey("k1")->Current()->label == "acme-k1-new";
      const bool globex_new =
          snap->FindByName("globex")->FindKey("k1")->Current()->label == "globex-k1-new";
      if (acme_new != globex_new) mixed.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  for (int i = 0; i < 2000; ++i) holder.Replace(i % 2 ? reg_a : reg_b);
  while (reads.load() < 100) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(mixed.load(), 0);
}

}  // namespace
}  // namespace xks::tenant
