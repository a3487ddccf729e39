#include "proxy/config/config_checker.h"

#include <gtest/gtest.h>

namespace xks::config::parsing {
namespace {

TEST(ConfigPathTest, JoinIndexAndResolve) {
  EXPECT_EQ(Join("", "server"), "server");
  EXPECT_EQ(Join("server", "tls"), "server.tls");
  EXPECT_EQ(Index("tenants", 2), "tenants[2]");
  EXPECT_EQ(Resolve("/etc/xks", "pin"), "/etc/xks/pin");
  EXPECT_EQ(Resolve("/etc/xks", "/abs/pin"), "/abs/pin");
  EXPECT_EQ(Resolve("", "pin"), "pin");
  EXPECT_EQ(Resolve("/etc/xks", ""), "");
}

TEST(ConfigPathTest, IdRules) {
  EXPECT_TRUE(IsValidId("acme-token_1.a"));
  EXPECT_TRUE(IsValidId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidId("a/b"));
}

TEST(CheckerTest, UnknownFieldsAreProblemsButCommentsAreNot) {
  Checker c;
  c.CheckKnown(json{{"_comment", 1}, {"port", 1}, {"prot", 2}}, "server", {"port", "tls"});
  Problems problems = c.Take();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "server.prot");
  EXPECT_NE(problems[0].Message().find("one of: port, tls"), std::string::npos);
}

TEST(CheckerTest, AccessorsReportMissingAndWrongTypes) {
  Checker c;
  const json doc = {{"o", 1}, {"a", "x"}, {"s", 3}, {"b", "yes"}};
  EXPECT_EQ(c.Object(doc, "o", "p", true), nullptr);
  EXPECT_EQ(c.Object(doc, "missing", "p", false), nullptr);
  EXPECT_EQ(c.Array(doc, "a", "p", true), nullptr);
  EXPECT_FALSE(c.String(doc, "s", "p", true));
  EXPECT_FALSE(c.String(doc, "none", "p", true, "give a name"));
  EXPECT_FALSE(c.Bool(doc, "b", "p"));
  EXPECT_FALSE(c.empty());
  Problems problems = c.Take();
  ASSERT_EQ(problems.size(), 5u);  // the optional missing object is no problem
  EXPECT_EQ(problems[0].path, "p.o");
  EXPECT_EQ(problems[0].Message(), "must be a JSON object");
  EXPECT_EQ(problems[1].Message(), "must be a JSON array");
  EXPECT_EQ(problems[2].Message(), "must be a string");
  EXPECT_EQ(problems[3].path, "p.none");
  EXPECT_EQ(problems[3].Message(), "missing — give a name");
  EXPECT_EQ(problems[4].Message(), "must be true or false");
}

TEST(CheckerTest, UintChecksTypeSignAndRange) {
  Checker c;
  const json doc = {{"ok", 5}, {"neg", -1}, {"big", 11}, {"str", "5"}};
  EXPECT_EQ(c.Uint(doc, "ok", "p", 1, 10), 5u);
  EXPECT_TRUE(c.empty());
  EXPECT_FALSE(c.Uint(doc, "neg", "p", 1, 10));
  EXPECT_FALSE(c.Uint(doc, "big", "p", 1, 10));
  EXPECT_FALSE(c.Uint(doc, "str", "p", 1, 10));
  EXPECT_FALSE(c.Uint(doc, "absent", "p", 1, 10));
  EXPECT_FALSE(c.Uint(doc, "absent", "p", 1, 10, /*required=*/true));
  Problems problems = c.Take();
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].Message(), "must be an integer between 1 and 10");
  EXPECT_EQ(problems[1].Message(), "must be between 1 and 10 (got 11)");
  EXPECT_EQ(problems[3].Message(), "missing — give an integer");
}

TEST(CheckerTest, MillisConvertsCheckedIntegers) {
  Checker c;
  EXPECT_EQ(Millis(c, json{{"t", 250}}, "t", "p", 1, 1000), std::chrono::milliseconds(250));
  EXPECT_FALSE(Millis(c, json{{"t", 0}}, "t", "p", 1, 1000));
  EXPECT_EQ(c.Take().size(), 1u);
}

}  // namespace
}  // namespace xks::config::parsing
