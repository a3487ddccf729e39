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

RawHeader ScanWhole(std::string_view bytes, std::size_t limit = 16384) {
  std::size_t resume = 0;
  return ScanRawHeader(bytes, resume, limit);
}

TEST(HttpFramingTest, RawHeaderEndsAtItsFirstEmptyLine) {
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), RawHeader::kComplete);
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody with\n folds"), RawHeader::kComplete);
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\nHost: a\n\n"), RawHeader::kComplete) << "bare LF";
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nHost: a\r\n"), RawHeader::kIncomplete);
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nHost: a\r\n\r"), RawHeader::kIncomplete);
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nHost: a"), RawHeader::kIncomplete);
}

TEST(HttpFramingTest, RawHeaderRefusesObsFold) {
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"), RawHeader::kObsFold);
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), RawHeader::kObsFold);
  EXPECT_EQ(ScanWhole("GET / HTTP/1.1\r\nTransfer-Encoding:\n chunked"), RawHeader::kObsFold)
      << "known before the header is complete";
}

TEST(HttpFramingTest, RawHeaderLimitCountsTheWholeHeader) {
  const std::string fields(100, 'x');
  std::string header = "GET / HTTP/1.1\r\n";
  while (header.size() < 200) header += "X-A: " + fields + "\r\n";
  EXPECT_EQ(ScanWhole(header + "\r\n", 1000), RawHeader::kComplete);
  EXPECT_EQ(ScanWhole(header + "\r\n", 150), RawHeader::kTooLarge);
  EXPECT_EQ(ScanWhole(header, 150), RawHeader::kTooLarge) << "no end within the limit";
  EXPECT_EQ(ScanWhole(std::string(200, 'a'), 100), RawHeader::kTooLarge) << "no line end at all";
}

TEST(HttpFramingTest, RawHeaderScanResumesWhereItStopped) {
  const std::string header = "POST / HTTP/1.1\r\nHost: a\r\nX: b\r\n\r\n{}";
  // Fed one byte more each time, as a trickling client sends it; the scan never goes back past
  // the last line end it could not judge yet.
  std::size_t resume = 0;
  RawHeader last = RawHeader::kIncomplete;
  std::size_t complete_at = 0;
  for (std::size_t n = 1; n <= header.size() && last == RawHeader::kIncomplete; ++n) {
    const std::size_t before = resume;
    last = ScanRawHeader(std::string_view(header).substr(0, n), resume, 16384);
    EXPECT_GE(resume, before);
    complete_at = n;
  }
  EXPECT_EQ(last, RawHeader::kComplete);
  EXPECT_EQ(complete_at, header.size() - 2) << "complete as soon as the empty line is there";
  resume = 0;
  const std::string folded = "GET / HTTP/1.1\r\nX: b\r\n c\r\n\r\n";
  EXPECT_EQ(ScanRawHeader(std::string_view(folded).substr(0, 22), resume, 16384),
            RawHeader::kIncomplete);
  EXPECT_EQ(ScanRawHeader(folded, resume, 16384), RawHeader::kObsFold);
}

}  // namespace
}  // namespace xks::server
