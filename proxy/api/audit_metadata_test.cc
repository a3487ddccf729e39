// What the audit record keeps of requestMetadata (issue 11 item 13): spec-valid values whole,
// oversized client strings cut and the cut recorded.

#include "proxy/api/audit_metadata.h"

#include <gtest/gtest.h>

namespace xks::api {
namespace {

using nlohmann::json;

json SpecMetadata() {
  return {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
          {"kmsKeyArn", "arn:aws:kms:us-east-2:123456789012:/key/1234abcd"},
          {"kmsOperation", "Encrypt"},
          {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"},
          {"kmsViaService", "ebs"},
          {"awsSourceVpc", "vpc-0a1b2c3d"},
          {"awsSourceVpce", "vpce-0a1b2c3d4e5f"}};
}

TEST(AuditedRequestMetadataTest, SpecValuesAreKeptWhole) {
  json md = SpecMetadata();
  md["awsPrincipalArn"] = "arn:aws:iam::123456789012:role/" + std::string(2048 - 31, 'r');
  ASSERT_EQ(md["awsPrincipalArn"].get<std::string>().size(), 2048u);
  md["kmsKeyArn"] = std::string(2048, 'k');
  md["futureField"] = "some value";
  md["futureNumber"] = 7;
  const AuditedMetadata audited = AuditedRequestMetadata(md, 2048);
  EXPECT_EQ(audited.metadata, md);
  EXPECT_TRUE(audited.truncated.empty());
}

TEST(AuditedRequestMetadataTest, AHugeRequestIdIsCutAndTheCutRecorded) {
  json md = SpecMetadata();
  md["kmsRequestId"] = std::string(60000, 'x');
  const AuditedMetadata audited = AuditedRequestMetadata(md, 2048);
  EXPECT_EQ(audited.metadata["kmsRequestId"], std::string(kAuditedStringBytes, 'x'));
  EXPECT_EQ(audited.truncated, (json{{"fields", {{"kmsRequestId", 60000}}}}));
  EXPECT_EQ(audited.metadata["kmsKeyArn"], md["kmsKeyArn"]) << "other fields untouched";
  EXPECT_LT(audited.metadata.dump().size(), 1024u);
}

TEST(AuditedRequestMetadataTest, ArnsBeyondTheConfiguredLimitAreCutThere) {
  json md = SpecMetadata();
  md["kmsKeyArn"] = std::string(5000, 'k');
  EXPECT_EQ(AuditedRequestMetadata(md, 4096).metadata["kmsKeyArn"], std::string(4096, 'k'));
  EXPECT_EQ(AuditedRequestMetadata(md, 8192).metadata["kmsKeyArn"], md["kmsKeyArn"]);
}

TEST(AuditedRequestMetadataTest, CutsNeverSplitAUtf8Character) {
  json md = SpecMetadata();
  // 255 ASCII bytes then a 2-byte character: the cap (256) falls inside the character.
  md["kmsOperation"] = std::string(255, 'o') + "\xc3\xa9" + "tail";
  const std::string kept = AuditedRequestMetadata(md, 2048).metadata["kmsOperation"];
  EXPECT_EQ(kept, std::string(255, 'o'));
  EXPECT_EQ(Utf8Prefix("\xe2\x82\xac\xe2\x82\xac", 4), "\xe2\x82\xac");
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
}

TEST(AuditedRequestMetadataTest, UnknownFieldsAreBounded) {
  json md = SpecMetadata();
  for (int i = 0; i < 20; ++i) md["extra" + std::to_string(100 + i)] = "v";
  md[std::string(65, 'n')] = "long name";
  md["zzBig"] = json::array({std::string(1000, 'b')});
  const AuditedMetadata audited = AuditedRequestMetadata(md, 2048);
  EXPECT_EQ(audited.metadata.size(), 7u + kAuditedExtraFields);
  EXPECT_EQ(audited.truncated["droppedFields"], 20 + 1 + 1 - kAuditedExtraFields);
  EXPECT_FALSE(audited.metadata.contains(std::string(65, 'n')));

  json big = SpecMetadata();
  big["nested"] = {{"deep", std::string(1000, 'd')}};
  big["small"] = {{"ok", 1}};
  const AuditedMetadata b = AuditedRequestMetadata(big, 2048);
  EXPECT_TRUE(b.metadata["nested"].is_null());
  EXPECT_GT(b.truncated["fields"]["nested"].get<std::size_t>(), 1000u);
  EXPECT_EQ(b.metadata["small"], big["small"]);
}

TEST(AuditedRequestMetadataTest, NonObjectsGiveAnEmptyObject) {
  EXPECT_EQ(AuditedRequestMetadata(json::array(), 2048).metadata, json::object());
  EXPECT_EQ(AuditedRequestMetadata("text", 2048).metadata, json::object());
}

}  // namespace
}  // namespace xks::api

namespace xks::api {
namespace {

TEST(DescribeRequestForAuditTest, RequestFieldsAreBounded) {
  HttpRequest request;
  request.method = std::string(100, 'M');
  request.target = "/" + std::string(5000, 'p') + "?query=1";
  request.connection.peer_address = "192.0.2.1:4000";
  request.connection.client_cert_subject = "CN=cks.kms.us-east-1.amazonaws.com";
  audit::AuditEvent event;
  DescribeRequestForAudit(request, std::string(300, 'A'), event);
  EXPECT_EQ(event.http_method, std::string(16, 'M'));
  EXPECT_EQ(event.http_path.size(), 256u);
  EXPECT_EQ(event.client_address, "192.0.2.1:4000");
  EXPECT_EQ(event.client_cert_subject, request.connection.client_cert_subject);
  EXPECT_EQ(event.access_key_id, "-");
  request.target = "/alpha/kms/xks/v1/health?x=1";
  DescribeRequestForAudit(request, std::string("AKIAEXAMPLE2345"), event);
  EXPECT_EQ(event.http_path, "/alpha/kms/xks/v1/health");
  EXPECT_EQ(event.access_key_id, "AKIAEXAMPLE2345");
}

}  // namespace
}  // namespace xks::api
