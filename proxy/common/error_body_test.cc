#include "proxy/common/error_body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace xks {
namespace {

TEST(ErrorBodyTest, CompactJsonWithSpecName) {
  EXPECT_EQ(ErrorBodyJson(MakeError(ErrorName::kThrottling, "slow down", "secret detail")),
            R"({"errorName":"ThrottlingException","errorMessage":"slow down"})");
}

TEST(ErrorBodyTest, EscapesQuotesAndBackslashesAndReplacesControls) {
  // Control characters (and DEL) never reach the client: the spec wants printable ASCII.
  EXPECT_EQ(ErrorBodyJson(MakeError(ErrorName::kValidation, "a\"b\\c\nd\x7f")),
            R"({"errorName":"ValidationException","errorMessage":"a\"b\\c?d?"})");
}

TEST(ErrorBodyTest, MessageIsPrintableAsciiUnder512Characters) {
  const std::string text = "caf\xc3\xa9 \x01" + std::string(600, 'x');
  const std::string body = ErrorBodyJson(MakeError(ErrorName::kInternal, text));
  const auto parsed = nlohmann::json::parse(body);
  const std::string message = parsed.at("errorMessage").get<std::string>();
  EXPECT_EQ(message.size(), kMaxErrorMessageChars);
  EXPECT_EQ(message.substr(0, 8), "caf?? ?x") << "each non-ASCII byte becomes one '?'";
  for (const char c : message) {
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << static_cast<int>(c);
  }
}

TEST(ErrorBodyTest, SanitizeKeepsPrintableAsciiAndCuts) {
  const std::string printable = " !\"#$%&'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~";
  EXPECT_EQ(SanitizeErrorMessage(printable), printable);
  EXPECT_EQ(SanitizeErrorMessage(std::string(511, 'y')), std::string(511, 'y'));
  EXPECT_EQ(SanitizeErrorMessage(std::string(512, 'y')), std::string(511, 'y'));
  EXPECT_EQ(SanitizeErrorMessage(std::string("\0\t\r", 3)), "???");
}

TEST(ErrorBodyTest, ResponseCarriesStatusTypeAndClose) {
  const HttpResponse response =
      ErrorResponse(MakeError(ErrorName::kDependencyTimeout, "late"), 503, true);
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(response.close_connection);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].name, "Content-Type");
  EXPECT_EQ(response.headers[0].value, "application/json");
  EXPECT_NE(response.body.find("DependencyTimeoutException"), std::string::npos);
  EXPECT_EQ(response.body.find("log"), std::string::npos);
  EXPECT_FALSE(ErrorResponse(MakeError(ErrorName::kInternal, "x"), 500).close_connection);
}

}  // namespace
}  // namespace xks
