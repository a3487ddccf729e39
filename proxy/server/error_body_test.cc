#include "proxy/server/error_body.h"

#include <gtest/gtest.h>

namespace xks::server {
namespace {

TEST(ErrorBodyTest, CompactJsonWithSpecName) {
  EXPECT_EQ(ErrorBodyJson(MakeError(ErrorName::kThrottling, "slow down", "secret detail")),
            R"({"errorName":"ThrottlingException","errorMessage":"slow down"})");
}

TEST(ErrorBodyTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(ErrorBodyJson(MakeError(ErrorName::kValidation, "a\"b\\c\nd\x7f")),
            R"({"errorName":"ValidationException","errorMessage":"a\"b\\c\u000ad\u007f"})");
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
}

}  // namespace
}  // namespace xks::server
