// The `process` object: parsed, validated with a path and a fix, and written back.

#include <gtest/gtest.h>

#include "proxy/config/config.h"
#include "proxy/config/testing/config_fixture.h"

namespace xks::config {
namespace {

using nlohmann::json;
using testing::StandardConfigJson;
using testing::TempDir;

class ConfigProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { doc_ = StandardConfigJson(dir_); }
  Result<Config, Problems> WithProcess(const json& process) {
    json doc = doc_;
    doc["process"] = process;
    return ParseConfig(doc, dir_.path());
  }
  // The one problem `process` gives, at `path`.
  std::string ProblemAt(const json& process, const std::string& path) {
    auto cfg = WithProcess(process);
    if (cfg.ok()) return "(no problem)";
    for (const auto& p : cfg.error()) {
      if (p.path == path) return p.Message();
    }
    return "(not at " + path + "): " + FormatProblems(cfg.error());
  }

  TempDir dir_;
  json doc_;
};

TEST_F(ConfigProcessTest, AbsentMeansNoUserAndRootRefused) {
  auto cfg = ParseConfig(doc_, dir_.path());
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->process, ProcessConfig{});
  EXPECT_FALSE(cfg->process.allow_root);
  EXPECT_FALSE(SerializeConfig(*cfg, {.omit_defaults = true}).contains("process"));
}

TEST_F(ConfigProcessTest, UserGroupAndAllowRootAreRead) {
  auto cfg = WithProcess({{"user", "xks"}, {"group", "xks-audit"}, {"allow_root", true}});
  ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
  EXPECT_EQ(cfg->process.user, "xks");
  EXPECT_EQ(cfg->process.group, "xks-audit");
  EXPECT_TRUE(cfg->process.allow_root);
}

TEST_F(ConfigProcessTest, BadShapesAreProblemsWithTheirPath) {
  EXPECT_NE(ProblemAt({{"user", "Root"}}, "process.user").find("user/group name"),
            std::string::npos);
  EXPECT_NE(ProblemAt({{"user", ""}}, "process.user").find("user/group name"), std::string::npos);
  EXPECT_NE(ProblemAt({{"user", 7}}, "process.user").find("string"), std::string::npos);
  EXPECT_NE(ProblemAt({{"group", "xks"}}, "process.group").find("needs process.user"),
            std::string::npos);
  EXPECT_NE(ProblemAt({{"allow_root", "yes"}}, "process.allow_root").find("true or false"),
            std::string::npos);
  EXPECT_NE(ProblemAt({{"uid", 0}}, "process.uid").find("unknown"), std::string::npos);
  EXPECT_NE(ProblemAt(json::array(), "process").find("object"), std::string::npos);
}

TEST_F(ConfigProcessTest, RoundTripsInBothForms) {
  for (const json& process : {json{{"user", "xks"}}, json{{"allow_root", true}},
                              json{{"user", "xks"}, {"group", "xks"}, {"allow_root", true}}}) {
    auto cfg = WithProcess(process);
    ASSERT_TRUE(cfg.ok()) << FormatProblems(cfg.error());
    EXPECT_EQ(SerializeConfig(*cfg, {.omit_defaults = true})["process"], process);
    for (bool omit : {false, true}) {
      auto again = ParseConfig(SerializeConfig(*cfg, {.omit_defaults = omit}), dir_.path());
      ASSERT_TRUE(again.ok()) << FormatProblems(again.error());
      EXPECT_EQ(again->process, cfg->process);
    }
  }
}

}  // namespace
}  // namespace xks::config
