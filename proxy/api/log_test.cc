// EscapeLogValue: client-supplied values in key=value log lines (issue 11 item 13).

#include "proxy/api/log.h"

#include <gtest/gtest.h>

#include <string>

namespace xks::api {
namespace {

using namespace std::string_literals;

// The documented inverse: percent-decoding (after removing a trailing "~" cut marker).
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

TEST(EscapeLogValueTest, UuidsAndArnsStayReadable) {
  EXPECT_EQ(EscapeLogValue("4112f4d6-db54-4af4-ae30-c55a22a8dfae"),
            "4112f4d6-db54-4af4-ae30-c55a22a8dfae");
  EXPECT_EQ(EscapeLogValue("arn:aws:iam::123456789012:user/Alice_B.c+d@e"),
            "arn:aws:iam::123456789012:user/Alice_B.c+d@e");
}

TEST(EscapeLogValueTest, EverythingThatCouldForgeAFieldOrLineIsEncoded) {
  EXPECT_EQ(EscapeLogValue("a b"), "a%20b");
  EXPECT_EQ(EscapeLogValue("x status=200"), "x%20status%3D200");
  EXPECT_EQ(EscapeLogValue("\"q\"\n'\\"), "%22q%22%0A%27%5C");
  EXPECT_EQ(EscapeLogValue("\r\t\0"s), "%0D%09%00");
  EXPECT_EQ(EscapeLogValue("100%~"), "100%25%7E");
  EXPECT_EQ(EscapeLogValue("\xc3\xa9\xff"), "%C3%A9%FF");
  for (int b = 0; b < 256; ++b) {
    const std::string escaped = EscapeLogValue(std::string(1, static_cast<char>(b)));
    for (char c : escaped) {
      EXPECT_TRUE(c != ' ' && c != '=' && c != '"' && c != '\n' && c != '~' && c > 0x20 && c < 0x7f)
          << "byte " << b << " escaped as " << escaped;
    }
  }
}

TEST(EscapeLogValueTest, IsReversible) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_EQ(PercentDecode(EscapeLogValue(all, all.size())), all);
  EXPECT_EQ(PercentDecode(EscapeLogValue("id with spaces, \"quotes\" and\nnewline")),
            "id with spaces, \"quotes\" and\nnewline");
}

TEST(EscapeLogValueTest, LongValuesAreCutAndMarked) {
  const std::string id(60000, 'a');
  std::string expected(256, 'a');
  expected.push_back('~');
  EXPECT_EQ(EscapeLogValue(id, 256), expected);
  EXPECT_EQ(EscapeLogValue(std::string(256, 'a'), 256), std::string(256, 'a')) << "at the cap";
  EXPECT_EQ(EscapeLogValue("  x", 2), "%20%20~");
}

TEST(EscapeLogValueTest, ADashAloneIsNotTheAbsentMarker) {
  EXPECT_EQ(EscapeLogValue("-"), "%2D");
  EXPECT_EQ(EscapeLogValue("--"), "--");
  EXPECT_EQ(EscapeLogValue(""), "");
}

}  // namespace
}  // namespace xks::api
