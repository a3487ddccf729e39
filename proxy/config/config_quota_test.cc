// tenants[].quota and server.max_concurrent_hsm (issue 15): defaults, ranges with their JSON
// paths, burst defaulting to one second's requests, and the serialised forms.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "proxy/config/config.h"
#include "proxy/config/testing/config_fixture.h"

namespace xks::config {
namespace {

using nlohmann::json;
using testing::StandardConfigJson;
using testing::TempDir;

class ConfigQuotaTest : public ::testing::Test {
 protected:
  Result<Config, Problems> ParseWith(const std::function<void(json&)>& change) {
    json doc = StandardConfigJson(dir_);
    change(doc);
    return ParseConfig(doc, dir_.path());
  }
  // Expects exactly one problem, at `path`, whose message contains `part`.
  void ExpectQuotaProblem(const std::function<void(json&)>& change, const std::string& path,
                          const std::string& part) {
    auto parsed = ParseWith(change);
    ASSERT_FALSE(parsed.ok()) << "accepted; want a problem at " << path;
    ASSERT_EQ(parsed.error().size(), 1u) << FormatProblems(parsed.error());
    EXPECT_EQ(parsed.error()[0].path, path) << FormatProblems(parsed.error());
    EXPECT_NE(parsed.error()[0].Message().find(part), std::string::npos)
        << parsed.error()[0].Message();
  }

  TempDir dir_;
};

TEST_F(ConfigQuotaTest, WithoutQuotaNoTenantLimitAndAGenerousServerCap) {
  auto parsed = ParseWith([](json&) {});
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(parsed->tenants[0].quota, QuotaConfig{});
  // 1800 requests/s (KMS's most per key store) that each take the whole 250 ms: 450 at once.
  EXPECT_GE(parsed->server.max_concurrent_hsm, 450u);
}

TEST_F(ConfigQuotaTest, EveryFieldIsRead) {
  auto parsed = ParseWith([](json& d) {
    d["tenants"][0]["quota"] = {
        {"requests_per_second", 500}, {"burst", 1000}, {"max_concurrent_hsm", 32}};
    d["server"]["max_concurrent_hsm"] = 128;
  });
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(parsed->tenants[0].quota, (QuotaConfig{500, 1000, 32}));
  EXPECT_EQ(parsed->tenants[1].quota, QuotaConfig{});
  EXPECT_EQ(parsed->server.max_concurrent_hsm, 128u);
}

TEST_F(ConfigQuotaTest, BurstDefaultsToOneSecondOfRequests) {
  auto parsed = ParseWith([](json& d) { d["tenants"][0]["quota"] = {{"requests_per_second", 7}}; });
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(parsed->tenants[0].quota, (QuotaConfig{7, 7, 0}));
}

TEST_F(ConfigQuotaTest, AConcurrencyCapAloneHasNoRateLimit) {
  auto parsed = ParseWith([](json& d) { d["tenants"][0]["quota"] = {{"max_concurrent_hsm", 1}}; });
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(parsed->tenants[0].quota, (QuotaConfig{0, 0, 1}));
}

TEST_F(ConfigQuotaTest, ATenantCapAboveTheServerCapIsAllowed) {
  // The server cap is shared by all tenants and still binds; refusing would make lowering it
  // in an emergency fail on every tenant written against the old value.
  auto parsed = ParseWith([](json& d) {
    d["tenants"][0]["quota"] = {{"max_concurrent_hsm", 500}};
    d["server"]["max_concurrent_hsm"] = 10;
  });
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
}

TEST_F(ConfigQuotaTest, RangesAndShapesAreReportedWithTheirPaths) {
  const std::string q = "tenants[0].quota";
  auto set_quota = [](json value) {
    return [value](json& d) { d["tenants"][0]["quota"] = value; };
  };
  ExpectQuotaProblem(set_quota({{"requests_per_second", 0}}), q + ".requests_per_second",
                     "between 1 and 1000000");
  ExpectQuotaProblem(set_quota({{"requests_per_second", 1000001}}), q + ".requests_per_second",
                     "between 1 and 1000000");
  ExpectQuotaProblem(set_quota({{"requests_per_second", 10}, {"burst", 0}}), q + ".burst",
                     "between 1 and 10000000");
  ExpectQuotaProblem(set_quota({{"burst", 10}}), q + ".burst", "needs requests_per_second");
  ExpectQuotaProblem(set_quota({{"max_concurrent_hsm", 0}}), q + ".max_concurrent_hsm",
                     "between 1 and 1000000");
  ExpectQuotaProblem(set_quota({{"requests_per_second", "fast"}}), q + ".requests_per_second", "");
  ExpectQuotaProblem(set_quota(json::object()), q, "empty");
  ExpectQuotaProblem(set_quota(json::array()), q, "object");
  ExpectQuotaProblem(set_quota({{"rps", 5}}), q + ".rps", "unknown field");
  ExpectQuotaProblem([](json& d) { d["server"]["max_concurrent_hsm"] = 0; },
                     "server.max_concurrent_hsm", "between 1 and 1000000");
}

TEST_F(ConfigQuotaTest, TheShortFormWritesOnlyWhatDiffersFromTheDefaults) {
  auto parsed = ParseWith([](json& d) {
    d["tenants"][0]["quota"] = {{"requests_per_second", 50}, {"max_concurrent_hsm", 4}};
    d["tenants"][1]["quota"] = {{"requests_per_second", 50}, {"burst", 80}};
  });
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  const json short_form = SerializeConfig(*parsed, SerializeOptions{.omit_defaults = true});
  EXPECT_EQ(short_form["tenants"][0]["quota"],
            (json{{"requests_per_second", 50}, {"max_concurrent_hsm", 4}}));
  EXPECT_EQ(short_form["tenants"][1]["quota"], (json{{"requests_per_second", 50}, {"burst", 80}}));
  EXPECT_FALSE(short_form["server"].contains("max_concurrent_hsm"));
  const json full = SerializeConfig(*parsed);
  EXPECT_EQ(full["tenants"][0]["quota"]["burst"], 50);
  EXPECT_EQ(full["server"]["max_concurrent_hsm"], 1024);

  auto without = ParseWith([](json&) {});
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(SerializeConfig(*without)["tenants"][0].contains("quota"));
}

}  // namespace
}  // namespace xks::config
