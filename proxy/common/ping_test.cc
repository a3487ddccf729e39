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

TEST(PingTest, MatchesThePathWithOrWithoutAQuery) {
  EXPECT_TRUE(IsPingRequest("GET", "/ping", "/ping"));
  EXPECT_TRUE(IsPingRequest("HEAD", "/ping", "/ping"));
  EXPECT_TRUE(IsPingRequest("GET", "/ping?probe=1", "/ping"));
  EXPECT_TRUE(IsPingRequest("GET", "/lb/health", "/lb/health"));
  EXPECT_FALSE(IsPingRequest("POST", "/ping", "/ping"));
  EXPECT_FALSE(IsPingRequest("GET", "/ping/", "/ping"));
  EXPECT_FALSE(IsPingRequest("GET", "/pingx", "/ping"));
  EXPECT_FALSE(IsPingRequest("GET", "/kms/xks/v1/health", "/ping"));
  EXPECT_FALSE(IsPingRequest("GET", "/ping", "")) << "an empty ping_path disables the ping";
  EXPECT_FALSE(IsPingRequest("GET", "", ""));
}

}  // namespace
}  // namespace xks
