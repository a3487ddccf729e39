#include "proxy/api/request_body.h"

#include <gtest/gtest.h>

namespace xks::api {
namespace {

TEST(RequestBodyTest, JsonContentTypeIgnoresCaseParametersAndBlanks) {
  for (const char* ok : {"application/json", "Application/JSON", " application/json ",
                         "application/json; charset=utf-8", "application/json\t;x=y"}) {
    EXPECT_TRUE(IsJsonContentType(ok)) << ok;
  }
  for (const char* bad : {"", "text/plain", "application/jsonx", "application/json-seq",
                          "application/x-amz-json-1.1", "application /json"}) {
    EXPECT_FALSE(IsJsonContentType(bad)) << bad;
  }
}

}  // namespace
}  // namespace xks::api
