#include "base/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace xks {
namespace {

bool GlobMatches(std::string_view pattern, std::string_view text) {
  auto glob = Glob::Compile(pattern);
  EXPECT_TRUE(glob.has_value()) << pattern;
  return glob && glob->Matches(text);
}

TEST(GlobTest, LiteralMatchesOnlyItself) {
  EXPECT_TRUE(GlobMatches("k1", "k1"));
  EXPECT_FALSE(GlobMatches("k1", "k10"));
  EXPECT_FALSE(GlobMatches("k1", "K1"));
  EXPECT_FALSE(GlobMatches("k1", ""));
  EXPECT_TRUE(Glob::Compile("k1")->is_literal());
  EXPECT_FALSE(Glob::Compile("k?")->is_literal());
}

TEST(GlobTest, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(GlobMatches("prod-*", "prod-"));
  EXPECT_TRUE(GlobMatches("prod-*", "prod-db"));
  EXPECT_FALSE(GlobMatches("prod-*", "pro"));
  EXPECT_FALSE(GlobMatches("prod-*", "xprod-db"));
  EXPECT_TRUE(GlobMatches("*", ""));
  EXPECT_TRUE(GlobMatches("*-db", "prod-db"));
  EXPECT_FALSE(GlobMatches("*-db", "prod-dbx"));
  EXPECT_TRUE(GlobMatches("a*b*c", "abc"));
  EXPECT_TRUE(GlobMatches("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobMatches("a*b*c", "aXcYb"));
  EXPECT_TRUE(GlobMatches("a**c", "ac"));
  EXPECT_FALSE(GlobMatches("a*a", "a"));  // the two ends may not share a character
}

TEST(GlobTest, QuestionMarkMatchesExactlyOneCharacter) {
  EXPECT_TRUE(GlobMatches("k?", "k1"));
  EXPECT_FALSE(GlobMatches("k?", "k"));
  EXPECT_FALSE(GlobMatches("k?", "k12"));
  EXPECT_TRUE(GlobMatches("*?x?*", "ax1"));
  EXPECT_FALSE(GlobMatches("*?x?*", "x1"));
}

TEST(GlobTest, ArnPatterns) {
  const std::string pattern = "arn:aws:kms:*:111122223333:key/*";
  EXPECT_TRUE(GlobMatches(pattern, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd"));
  EXPECT_FALSE(GlobMatches(pattern, "arn:aws:kms:eu-west-1:999922223333:key/1234abcd"));
  EXPECT_FALSE(GlobMatches(pattern, "arn:aws:kms:eu-west-1:111122223333:alias/x"));
}

TEST(GlobTest, PathologicalPatternStaysFast) {
  // A backtracking matcher takes exponential time here; the segment matcher is linear-ish.
  const std::string text(2000, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "a*";
  pattern += "b";
  EXPECT_FALSE(GlobMatches(pattern, text));
}

TEST(GlobTest, RefusesInvalidPatterns) {
  EXPECT_FALSE(Glob::Compile("").has_value());
  EXPECT_FALSE(Glob::Compile("k[12]").has_value());
  EXPECT_FALSE(Glob::Compile("{a,b}").has_value());
  EXPECT_FALSE(Glob::Compile("a\\*").has_value());
  EXPECT_FALSE(Glob::Compile("a\nb").has_value());
  EXPECT_FALSE(Glob::Compile(std::string(Glob::kMaxPatternLength + 1, 'a')).has_value());
  EXPECT_TRUE(Glob::Compile(std::string(Glob::kMaxPatternLength, 'a')).has_value());
  std::string problem;
  EXPECT_FALSE(Glob::Compile("k[1]", &problem));
  EXPECT_NE(problem.find("only * "), std::string::npos) << problem;
}

}  // namespace
}  // namespace xks
