// xks-conformance's inputs: --help is an outcome, not a failure; every bad input is a Problem at
// the option or env-file line it is about, with a fix.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "conformance/config.h"

namespace xks::conformance {
namespace {

Result<Config, Problems> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "xks-conformance");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

std::vector<std::string> Paths(const Problems& problems) {
  std::vector<std::string> paths;
  for (const Problem& p : problems) paths.push_back(p.path);
  return paths;
}

// A file in a fresh temporary directory, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "xks-conf-cli-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/test.env";
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

TEST(ConformanceCommandLine, HelpIsAnOutcomeNotAFailure) {
  for (const char* flag : {"--help", "-h"}) {
    auto c = Parse({flag});
    ASSERT_TRUE(c.ok()) << FormatProblems(c.error());
    EXPECT_TRUE(c->help);
  }
  // Nothing after --help is parsed or checked, and nothing is required with it.
  auto c = Parse({"--list", "--help", "--frobnicate"});
  ASSERT_TRUE(c.ok()) << FormatProblems(c.error());
  EXPECT_TRUE(c->help);
  EXPECT_NE(Usage().find("usage: xks-conformance"), std::string::npos);
}

TEST(ConformanceCommandLine, VersionNeedsNothingElse) {
  auto c = Parse({"--version"});
  ASSERT_TRUE(c.ok()) << FormatProblems(c.error());
  EXPECT_TRUE(c->version);
  EXPECT_FALSE(c->help);
  EXPECT_NE(Usage().find("--version"), std::string::npos);
}

TEST(ConformanceCommandLine, UnknownOptionIsAProblemAtTheOption) {
  auto c = Parse({"--endpoint", "https://h", "--frobnicate=1"});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.error().size(), 1u) << FormatProblems(c.error());
  const Problem& p = c.error()[0];
  EXPECT_EQ(p.path, "--frobnicate");
  EXPECT_EQ(p.problem, "unknown argument");
  EXPECT_EQ(p.ToString(), "--frobnicate: unknown argument — see --help for the options");
}

TEST(ConformanceCommandLine, OptionWithoutItsValueIsAProblemAtTheOption) {
  auto c = Parse({"--list", "--junit"});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.error().size(), 1u) << FormatProblems(c.error());
  EXPECT_EQ(c.error()[0].ToString(),
            "--junit: needs a value — write --junit VALUE or --junit=VALUE");
}

TEST(ConformanceCommandLine, EveryMissingInputIsReportedAtOnce) {
  auto none = Parse({});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(Paths(none.error()), (std::vector<std::string>{"--endpoint", "--access-key-id",
                                                           "--secret-access-key", "--key-id"}));
  for (const Problem& p : none.error()) {
    EXPECT_EQ(p.problem, "missing") << p;
    EXPECT_FALSE(p.fix.empty()) << p;
  }
  EXPECT_EQ(none.error()[3].ToString(),
            "--key-id: missing — pass an enabled ENCRYPT+DECRYPT key id or set XKS_KEY_ID");

  auto no_key = Parse({"--endpoint", "https://h", "--access-key-id", "A", "--secret-access-key",
                       "S", "--client-cert", "c.pem"});
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(Paths(no_key.error()), (std::vector<std::string>{"--key-id", "--client-key"}));
}

TEST(ConformanceCommandLine, BadEndpointAndBadNumberAreProblemsAtTheirFlags) {
  auto c = Parse({"--endpoint", "ftp://h", "--access-key-id", "A", "--secret-access-key", "S",
                  "--key-id", "k", "--latency-samples", "many"});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(Paths(c.error()), (std::vector<std::string>{"--latency-samples", "--endpoint"}));
  EXPECT_EQ(c.error()[0].problem, "not a number: many");
  EXPECT_EQ(c.error()[1].problem, "must start with https:// or http://: ftp://h");
  EXPECT_FALSE(c.error()[0].fix.empty());
  EXPECT_FALSE(c.error()[1].fix.empty());

  auto port = Parse({"--endpoint", "https://h:70000", "--access-key-id", "A", "--secret-access-key",
                     "S", "--key-id", "k"});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error()[0].problem, "cannot parse host:port from https://h:70000");
}

TEST(ConformanceCommandLine, MalformedEnvLinesAreProblemsAtTheirLines) {
  Config c;
  auto applied =
      ApplyEnvText("XKS_KEY_ID=k\nNOT A PAIR\n# fine\n\nXKS_LATENCY_SAMPLES=x\n", c, "quick.env");
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(Paths(applied.error()),
            (std::vector<std::string>{"quick.env line 2", "quick.env line 5"}));
  EXPECT_EQ(applied.error()[0].problem, "expected KEY=VALUE");
  EXPECT_FALSE(applied.error()[0].fix.empty());
  EXPECT_EQ(applied.error()[1].problem, "not a number: x");
  EXPECT_EQ(c.tenant.key_id, "k");  // the good lines still apply

  auto unnamed = ApplyEnvText("oops\n", c);
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(Paths(unnamed.error()), std::vector<std::string>{"env file line 1"});
}

TEST(ConformanceCommandLine, EnvFileProblemsNameTheFileAndLine) {
  TempFile env("XKS_ENDPOINT=https://h\nexport BROKEN\n");
  auto c = Parse({"--env-file", env.path().c_str(), "--key-id", "k"});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.error().size(), 1u) << FormatProblems(c.error());
  EXPECT_EQ(c.error()[0].path, env.path() + " line 2");
  EXPECT_EQ(c.error()[0].problem, "expected KEY=VALUE");

  auto missing = Parse({"--env-file=/nonexistent-dir/x.env"});
  ASSERT_FALSE(missing.ok());
  ASSERT_EQ(missing.error().size(), 1u) << FormatProblems(missing.error());
  EXPECT_EQ(missing.error()[0].path, "--env-file");
  EXPECT_NE(missing.error()[0].problem.find("cannot read /nonexistent-dir/x.env: "),
            std::string::npos)
      << missing.error()[0];
}

}  // namespace
}  // namespace xks::conformance
