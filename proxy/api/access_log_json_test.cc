// The JSON form of the access-log line (AccessLogJson, log.format "json"): every field is a
// JSON member, and no client-supplied value (kmsRequestId, other requestMetadata strings, the
// detail quoting a header) can end its string, start another member or object, or break the line.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "proxy/api/access_log.h"

namespace xks::api {
namespace {

using nlohmann::json;

std::unique_ptr<RequestContext> FinishedRequest(const std::string& kms_request_id) {
  auto ctx = std::make_unique<RequestContext>();
  ctx->event.tenant = "acme";
  ctx->event.operation = "Decrypt";
  ctx->event.external_key_id = "k1";
  ctx->event.result = "OK";
  ctx->event.total_latency = std::chrono::microseconds(812);
  ctx->event.hsm_latency = std::chrono::microseconds(640);
  ctx->event.request_metadata = {{"kmsRequestId", kms_request_id},
                                 {"awsPrincipalArn", "arn:aws:iam::1:user/\"x\""},
                                 {"kmsOperation", "Decrypt"},
                                 {"notAString", 5}};
  return ctx;
}

// The members as one line's object, parsed: what a log shipper sees.
json ParseLine(const std::string& members) {
  const std::string line = "{" + members + "}";
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  for (const char c : line) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << static_cast<int>(c) << " in " << line;
  }
  return json::parse(line);
}

TEST(AccessLogJsonTest, HasTheSpecsLoggingFields) {
  const json j = ParseLine(AccessLogJson(*FinishedRequest("4112f4d6"), 200, false));
  EXPECT_EQ(j["event"], "request");
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["operation"], "Decrypt");
  EXPECT_EQ(j["key"], "k1");
  EXPECT_EQ(j["kmsRequestId"], "4112f4d6");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["result"], "OK");
  EXPECT_FALSE(j.contains("errorName"));
  EXPECT_EQ(j["latencyUs"], 812);
  EXPECT_EQ(j["hsmUs"], 640);
  EXPECT_EQ(j["requestMetadata"], json({{"kmsRequestId", "4112f4d6"},
                                        {"awsPrincipalArn", "arn:aws:iam::1:user/\"x\""},
                                        {"kmsOperation", "Decrypt"}}));
  EXPECT_FALSE(j.contains("auditFailed"));
  EXPECT_FALSE(j.contains("detail"));
}

TEST(AccessLogJsonTest, AForgingKmsRequestIdStaysOneString) {
  const std::string forged = "id\n{\"x\":1}\r\x07\x1b[31m\\\xff\xc3\xa9";
  auto ctx = FinishedRequest(forged);
  ctx->event.result = "KeyNotFoundException";
  ctx->log_detail = "header \"x\"\nINFO forged";
  const std::string members = AccessLogJson(*ctx, 500, false);
  const json j = ParseLine(members);
  // Every byte comes back, non-ASCII ones as the code points of their byte values.
  EXPECT_EQ(j["kmsRequestId"], "id\n{\"x\":1}\r\x07\x1b[31m\\\u00ff\u00c3\u00a9");
  EXPECT_EQ(j["requestMetadata"]["kmsRequestId"], j["kmsRequestId"]);
  EXPECT_EQ(j["result"], "ERROR");
  EXPECT_EQ(j["errorName"], "KeyNotFoundException");
  EXPECT_EQ(j["detail"], "header \"x\"\nINFO forged");
  EXPECT_EQ(j.size(), 12u) << members;  // no member was added by the client
}

TEST(AccessLogJsonTest, AFailedAuditTurnsTheSuccessIntoTheAnsweredError) {
  auto ctx = FinishedRequest("r");
  const json j = ParseLine(AccessLogJson(*ctx, 500, true));
  EXPECT_EQ(j["auditFailed"], true);
  EXPECT_EQ(j["errorName"], "InternalException");
  EXPECT_EQ(AnsweredErrorName(ctx->event, 429, true), "ThrottlingException");
  EXPECT_EQ(AnsweredErrorName(ctx->event, 200, false), "OK");
  ctx->event.result = "ValidationException";
  EXPECT_EQ(AnsweredErrorName(ctx->event, 400, true), "ValidationException");
}

TEST(AccessLogJsonTest, WithoutMetadataOrKey) {
  RequestContext anonymous;
  anonymous.event.operation = "Unknown";
  anonymous.event.result = "InvalidUriPathException";
  const json j = ParseLine(AccessLogJson(anonymous, 404, false));
  EXPECT_EQ(j["tenant"], "");
  EXPECT_EQ(j["key"], "");
  EXPECT_FALSE(j.contains("kmsRequestId"));
  EXPECT_EQ(j["requestMetadata"], json::object());
}

}  // namespace
}  // namespace xks::api
