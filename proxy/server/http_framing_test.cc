#include "proxy/server/http_framing.h"

#include <gtest/gtest.h>

namespace xks::server {
namespace {

using Headers = std::vector<HttpHeader>;

Headers WithHost(Headers headers) {
  headers.insert(headers.begin(), {"Host", "xks.example.com"});
  return headers;
}

// The refusal's status, or 0 when the header is accepted.
int Refused(int version, const Headers& headers) {
  auto framing = CheckRequestFraming(version, headers);
  return framing.ok() ? 0 : framing.error().status;
}

TEST(HttpFramingTest, AcceptsContentLengthChunkedAndNoBody) {
  auto none = CheckRequestFraming(11, WithHost({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->chunked);
  EXPECT_FALSE(none->content_length);
  EXPECT_FALSE(none->expects_continue);

  auto sized = CheckRequestFraming(11, WithHost({{"content-length", "342"}}));
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->content_length, 342u);

  auto chunked = CheckRequestFraming(11, WithHost({{"Transfer-Encoding", "Chunked"}}));
  ASSERT_TRUE(chunked.ok());
  EXPECT_TRUE(chunked->chunked);
}

TEST(HttpFramingTest, TransferEncodingMustBeExactlyChunked) {
  for (const char* coding : {"identity", "gzip", "xchunked", "chunked, identity", "gzip, chunked",
                             "chunked,chunked", ""}) {
    auto framing = CheckRequestFraming(11, WithHost({{"Transfer-Encoding", coding}}));
    ASSERT_FALSE(framing.ok()) << coding;
    EXPECT_EQ(framing.error().status, 400) << coding;
    EXPECT_TRUE(framing.error().drain_by_silence) << coding;
  }
  EXPECT_EQ(
      Refused(11, WithHost({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})),
      400);
  EXPECT_EQ(Refused(11, WithHost({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}})),
            400);
  EXPECT_EQ(Refused(11, WithHost({{"Content-Length", "5"}, {"Transfer-Encoding", "identity"}})),
            400);
  EXPECT_EQ(Refused(10, {{"Transfer-Encoding", "chunked"}}), 400);
}

TEST(HttpFramingTest, ContentLengthMustBeOneDecimalNumber) {
  for (const char* length :
       {"5, 5", "5,5", "-1", "+5", "0x10", "5 5", "", "abc", "99999999999999999999"}) {
    auto framing = CheckRequestFraming(11, WithHost({{"Content-Length", length}}));
    ASSERT_FALSE(framing.ok()) << length;
    EXPECT_EQ(framing.error().status, 400) << length;
    EXPECT_TRUE(framing.error().drain_by_silence) << length;
  }
  EXPECT_EQ(Refused(11, WithHost({{"Content-Length", "5"}, {"content-length", "5"}})), 400);
  EXPECT_EQ(Refused(11, WithHost({{"Content-Length", "0"}})), 0);
}

TEST(HttpFramingTest, HostIsRequiredOnceOnHttp11AndAtMostOnceOnHttp10) {
  auto missing = CheckRequestFraming(11, {{"Content-Length", "2"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 400);
  EXPECT_FALSE(missing.error().drain_by_silence) << "the length is sound: drain by it";
  EXPECT_EQ(Refused(11, {{"Host", "a"}, {"host", "b"}}), 400);
  EXPECT_EQ(Refused(10, {}), 0);
  EXPECT_EQ(Refused(10, {{"Host", "a"}, {"Host", "a"}}), 400);
}

TEST(HttpFramingTest, ExpectIs100ContinueOrRefusedWith417) {
  auto expects = CheckRequestFraming(11, WithHost({{"Expect", "100-Continue"}}));
  ASSERT_TRUE(expects.ok());
  EXPECT_TRUE(expects->expects_continue);
  // HTTP/1.0 clients do not understand 100: the expectation is ignored (RFC 9110 10.1.1).
  auto old = CheckRequestFraming(10, {{"Expect", "100-continue"}});
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->expects_continue);
  for (const char* value : {"200-ok", "100-continue, foo", ""}) {
    auto refused = CheckRequestFraming(11, WithHost({{"Expect", value}}));
    ASSERT_FALSE(refused.ok()) << value;
    EXPECT_EQ(refused.error().status, 417) << value;
    EXPECT_TRUE(refused.error().drain_by_silence) << value;
  }
  auto no_host = CheckRequestFraming(11, {{"Expect", "100-continue"}, {"Content-Length", "9"}});
  ASSERT_FALSE(no_host.ok());
  EXPECT_EQ(no_host.error().status, 400);
  EXPECT_TRUE(no_host.error().drain_by_silence) << "the client may never send the body";
}

}  // namespace
}  // namespace xks::server
