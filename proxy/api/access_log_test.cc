// The access-log line (access_log.h) and the escaping of its free-text detail (EscapeLogDetail):
// whatever a client manages to put into a verifier's or backend's detail cannot end the line,
// start a second one or fake a field.

#include "proxy/api/access_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace xks::api {
namespace {

using namespace std::string_literals;

// On the heap: a RequestContext is neither copied nor moved (it holds its answer's claim).
std::unique_ptr<RequestContext> Finished(std::string detail) {
  auto owned = std::make_unique<RequestContext>();
  RequestContext& ctx = *owned;
  ctx.event.tenant = "acme";
  ctx.event.operation = "Encrypt";
  ctx.event.external_key_id = "k1";
  ctx.event.result = "AuthenticationFailedException";
  ctx.event.total_latency = std::chrono::microseconds(812);
  ctx.event.hsm_latency = std::chrono::microseconds(640);
  ctx.kms_request_id = "4112f4d6";
  ctx.log_detail = std::move(detail);
  return owned;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(AccessLogTest, LineHasEveryFieldInOrder) {
  EXPECT_EQ(AccessLogLine(*Finished("sigv4 bad_signature: mismatch"), 401, false),
            "xks request tenant=acme op=Encrypt key=k1 kmsRequestId=4112f4d6 status=401 "
            "result=AuthenticationFailedException latency_us=812 hsm_us=640 "
            "detail=sigv4 bad_signature: mismatch");
  RequestContext anonymous;
  anonymous.event.operation = "Unknown";
  anonymous.event.result = "InvalidUriPathException";
  EXPECT_EQ(AccessLogLine(anonymous, 404, false),
            "xks request tenant=- op=Unknown key=- kmsRequestId=- status=404 "
            "result=InvalidUriPathException latency_us=0 hsm_us=0");
}

TEST(AccessLogTest, DetailOnlyFor401AndServerErrors) {
  const std::unique_ptr<RequestContext> owned = Finished("why");
  const RequestContext& ctx = *owned;
  EXPECT_NE(AccessLogLine(ctx, 401, false).find(" detail=why"), std::string::npos);
  EXPECT_NE(AccessLogLine(ctx, 500, false).find(" detail=why"), std::string::npos);
  EXPECT_NE(AccessLogLine(ctx, 503, false).find(" detail=why"), std::string::npos);
  EXPECT_NE(AccessLogLine(ctx, 200, true).find(" audit=FAILED detail=why"), std::string::npos);
  EXPECT_EQ(AccessLogLine(ctx, 400, false).find("detail="), std::string::npos);
  EXPECT_EQ(AccessLogLine(ctx, 404, false).find("detail="), std::string::npos);
  EXPECT_EQ(AccessLogLine(*Finished(""), 500, false).find("detail="), std::string::npos);
  EXPECT_EQ(AccessLogLevel(500, false), LogLevel::kWarning);
  EXPECT_EQ(AccessLogLevel(200, true), LogLevel::kWarning);
  EXPECT_EQ(AccessLogLevel(401, false), LogLevel::kInfo);
}

TEST(AccessLogTest, ClientBytesInTheDetailCannotForgeALineOrAField) {
  // An unknown access key id as a client might send it: CR LF, a fake second line, quotes,
  // a fake field, a backslash escape look-alike and non-ASCII bytes.
  const std::string hostile =
      "sigv4 unknown_access_key_id: AKIA\r\n2026-12-02T00:00:00Z INFO api xks request "
      "tenant=acme status=200 \"quoted\" \\x0a caf\xc3\xa9 \x7f\0end"s;
  const std::string line = AccessLogLine(*Finished(hostile), 401, false);
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 && byte < 0x7f) << "byte " << int{byte} << " in " << line;
    EXPECT_NE(c, '"') << line;
  }
  EXPECT_EQ(Count(line, "status="), 1u) << line;
  EXPECT_EQ(Count(line, "tenant="), 1u) << line;
  EXPECT_EQ(Count(line, " detail="), 1u) << line;
  EXPECT_NE(line.find("detail=sigv4 unknown_access_key_id: AKIA\\x0d\\x0a2026-12-02T00:00:00Z"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("status\\x3d200 \\x22quoted\\x22 \\x5cx0a caf\\xc3\\xa9 \\x7f\\x00end"),
            std::string::npos)
      << line;
}

TEST(AccessLogTest, LongDetailsAreCutAndMarked) {
  const std::string line = AccessLogLine(*Finished(std::string(100000, 'd')), 500, false);
  EXPECT_NE(line.find(" detail=" + std::string(512, 'd') + "~"), std::string::npos);
  EXPECT_LT(line.size(), 1000u);
}

TEST(EscapeLogDetailTest, ReadableTextStaysReadable) {
  EXPECT_EQ(EscapeLogDetail("Encrypt: C_Encrypt: CKR_DEVICE_ERROR (0x30): slot 3"),
            "Encrypt: C_Encrypt: CKR_DEVICE_ERROR (0x30): slot 3");
  EXPECT_EQ(EscapeLogDetail(""), "");
}

TEST(EscapeLogDetailTest, EveryByteOutsidePlainPrintableAsciiIsHexEscaped) {
  for (int b = 0; b < 256; ++b) {
    const std::string in(1, static_cast<char>(b));
    const std::string out = EscapeLogDetail(in);
    const bool plain = b >= 0x20 && b < 0x7f && b != '"' && b != '\\' && b != '=' && b != '~';
    if (plain) {
      EXPECT_EQ(out, in) << b;
    } else {
      char expected[8];
      std::snprintf(expected, sizeof expected, "\\x%02x", b);
      EXPECT_EQ(out, expected) << b;
    }
  }
  EXPECT_EQ(EscapeLogDetail("abc", 2), "ab~");
  EXPECT_EQ(EscapeLogDetail("ab", 2), "ab") << "at the cap";
}

}  // namespace
}  // namespace xks::api
