#include "tools/loadgen/options.h"

#include <gtest/gtest.h>

namespace xks::loadgen {
namespace {

Result<Options, std::string> Parse(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--url", "https://127.0.0.1:8443/demo", "--key-id", "k1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ParseOptions(args);
}

TEST(LoadgenOptionsTest, DefaultsAreAClosedLoop) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_FALSE(o->rate.has_value());
  EXPECT_EQ(o->connections, 16);
  EXPECT_EQ(o->threads, 1);
  EXPECT_EQ(o->mix.ToString(), "encrypt=70,decrypt=25,metadata=5");
  EXPECT_EQ(o->plaintext_bytes, 32u);
  EXPECT_EQ(o->target.host, "127.0.0.1");
  EXPECT_EQ(o->target.port, "8443");
  EXPECT_EQ(o->target.prefix, "/demo");
  EXPECT_FALSE(o->insecure);
}

TEST(LoadgenOptionsTest, ParsesEveryForm) {
  auto o = Parse({"--rate=1800", "--connections", "32", "--duration", "2m", "--warmup", "500ms",
                  "--mix", "metadata=1", "--insecure", "--progress", "--json", "out.json",
                  "--threads", "2", "--aad-bytes", "0"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_DOUBLE_EQ(*o->rate, 1800);
  EXPECT_EQ(o->connections, 32);
  EXPECT_EQ(o->duration, std::chrono::minutes(2));
  EXPECT_EQ(o->warmup, std::chrono::milliseconds(500));
  EXPECT_EQ(o->mix.ToString(), "metadata=1");
  EXPECT_TRUE(o->insecure);
  EXPECT_TRUE(o->progress);
  EXPECT_EQ(o->json_path, "out.json");
  EXPECT_EQ(o->threads, 2);
  EXPECT_EQ(o->aad_bytes, 0u);
}

TEST(LoadgenOptionsTest, RejectsMistakes) {
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--connections", "0"},
                                             {"--rate", "fast"},
                                             {"--rate", "0"},
                                             {"--duration", "10x"},
                                             {"--duration", "0"},
                                             {"--mix", "encrypt"},
                                             {"--bogus", "1"},
                                             {"--insecure=yes"},
                                             {"--threads", "4", "--connections", "2"},
                                             {"--insecure", "--ca-file", "ca.pem"},
                                             {"stray"},
                                             {"--json"}}) {
    EXPECT_FALSE(Parse(bad).ok()) << bad[0];
  }
  EXPECT_FALSE(ParseOptions({"--key-id", "k"}).ok());
  EXPECT_FALSE(ParseOptions({"--url", "https://h/p"}).ok());
}

TEST(LoadgenOptionsTest, HelpNeedsNothingElse) {
  auto o = ParseOptions({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_NE(UsageText().find("--rate"), std::string::npos);
}

TEST(LoadgenOptionsTest, VersionNeedsNothingElse) {
  auto o = ParseOptions({"--version"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_TRUE(o->version);
  EXPECT_FALSE(ParseOptions({"--version=1"}).ok());
  EXPECT_NE(UsageText().find("--version"), std::string::npos);
}

TEST(LoadgenOptionsTest, Urls) {
  auto t = ParseTargetUrl("https://[::1]:9000/tenants/a/");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "9000");
  EXPECT_EQ(t->prefix, "/tenants/a");
  EXPECT_EQ(t->HostHeader(), "[::1]:9000");
  auto plain = ParseTargetUrl("https://xks.example.com");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, "443");
  EXPECT_EQ(plain->prefix, "");
  EXPECT_EQ(plain->HostHeader(), "xks.example.com");
  for (const char* bad : {"http://h/p", "https://", "https://h:0/p", "https://h:x/p",
                          "https://[::1/p", "https://h/p?q=1"}) {
    EXPECT_FALSE(ParseTargetUrl(bad).ok()) << bad;
  }
}

TEST(LoadgenOptionsTest, Durations) {
  EXPECT_EQ(*ParseDuration("30"), std::chrono::seconds(30));
  EXPECT_EQ(*ParseDuration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration("2h"), std::chrono::hours(2));
  for (const char* bad : {"", "s", "5d", "1..2s", "-1s"}) EXPECT_FALSE(ParseDuration(bad).ok());
}

}  // namespace
}  // namespace xks::loadgen
