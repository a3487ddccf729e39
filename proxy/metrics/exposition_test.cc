#include "proxy/metrics/exposition.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace xks::metrics {
namespace {

TEST(ExpositionTest, EscapesLabelValuesSoNoValueCanEndItsQuotesOrLine) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeLabelValue("a\nb"), "a\\nb");
  EXPECT_EQ(EscapeLabelValue("\\\""), "\\\\\\\"");
}

TEST(ExpositionTest, EscapesHelpButKeepsQuotes) {
  EXPECT_EQ(EscapeHelp("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(ExpositionTest, FormatsValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
}

TEST(ExpositionTest, ChecksNames) {
  EXPECT_TRUE(IsValidMetricName("xks_requests_total"));
  EXPECT_TRUE(IsValidMetricName("ns:rule_1"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("tenant"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

TEST(ExpositionTest, WritesSampleLines) {
  std::string out;
  const std::vector<std::string> names = {"tenant", "op"};
  const std::vector<std::string> values = {"ac\"me", "Encrypt"};
  AppendSample(out, "m", names, values, 3);
  AppendSample(out, "m_bucket", names, values, 1, "le", "+Inf");
  AppendSample(out, "n", {}, {}, 0.5);
  AppendSample(out, "b", {}, {}, 2, "le", "0.1");
  EXPECT_EQ(out,
            "m{tenant=\"ac\\\"me\",op=\"Encrypt\"} 3\n"
            "m_bucket{tenant=\"ac\\\"me\",op=\"Encrypt\",le=\"+Inf\"} 1\n"
            "n 0.5\n"
            "b{le=\"0.1\"} 2\n");
}

TEST(ExpositionTest, WritesHeaders) {
  std::string out;
  AppendHeader(out, "m", "Two\nlines", "counter");
  EXPECT_EQ(out, "# HELP m Two\\nlines\n# TYPE m counter\n");
}

}  // namespace
}  // namespace xks::metrics
