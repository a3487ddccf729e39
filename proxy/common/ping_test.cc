#include "proxy/common/ping.h"

#include <gtest/gtest.h>

namespace xks {
namespace {

TEST(PingTest, AnswersTheDocumentedJson) {
  const HttpResponse response = PingResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"OK"})");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].name, "Content-Type");
  EXPECT_EQ(response.headers[0].value, "application/json");
  EXPECT_FALSE(response.close_connection);
  EXPECT_FALSE(response.authenticated) << "a ping never makes a connection trusted";
}

TEST(PingTest, OnlyGetAndHead) {
  EXPECT_TRUE(IsPingMethod("GET"));
  EXPECT_TRUE(IsPingMethod("HEAD"));
  for (const char* other : {"POST", "get", "OPTIONS", "PUT", ""}) {
    EXPECT_FALSE(IsPingMethod(other)) << other;
  }
}

}  // namespace
}  // namespace xks
