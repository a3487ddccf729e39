#include "proxy/audit/audit_record.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

std::set<std::string> Keys(const nlohmann::json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

TEST(AuditRecordTest, TimestampIsRfc3339MicrosecondsUtc) {
  auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1795000000123456));
  EXPECT_EQ(FormatTimestamp(t), "2026-11-18T11:06:40.123456Z");
  EXPECT_EQ(FormatTimestamp(std::chrono::system_clock::time_point{}),
            "1970-01-01T00:00:00.000000Z");
}

TEST(AuditRecordTest, RequestRecordWritesExactlyTheDocumentedFields) {
  AuditEvent e = testing::SampleEvent("t1", 1);
  e.client_cert_subject = "CN=kms";
  e.ciphertext_length = 60;
  e.result = "AccessDeniedException";
  e.http_status = 403;
  e.policy_statement = "deny-all";
  e.details = {{"must", "not appear in a request record"}};
  nlohmann::json r = BuildEventRecord({7, "2026-11-27T00:00:00.000000Z", "i-1"}, e);
  const std::set<std::string> documented = {"seq",
                                            "tenantSeq",
                                            "tenantPrev",
                                            "time",
                                            "instance",
                                            "type",
                                            "operation",
                                            "tenant",
                                            "externalKeyId",
                                            "keyLabel",
                                            "accessKeyId",
                                            "clientAddress",
                                            "result",
                                            "requestMetadata",
                                            "clientCertSubject",
                                            "httpMethod",
                                            "httpPath",
                                            "httpStatus",
                                            "policyStatement",
                                            "totalLatencyUs",
                                            "hsmLatencyUs",
                                            "plaintextLength",
                                            "ciphertextLength"};
  EXPECT_EQ(Keys(r), documented);
  EXPECT_EQ(r["type"], "request");
  EXPECT_EQ(r["requestMetadata"], e.request_metadata);
  EXPECT_EQ(r["httpStatus"], 403);
  EXPECT_EQ(r["plaintextLength"], 32);
}

TEST(AuditRecordTest, OptionalFieldsAreOmittedWhenAbsent) {
  AuditEvent e;
  e.operation = "GetHealthStatus";
  nlohmann::json r = BuildEventRecord({1, "t", "i"}, e);
  EXPECT_FALSE(r.contains("clientCertSubject"));
  EXPECT_FALSE(r.contains("plaintextLength"));
  EXPECT_FALSE(r.contains("ciphertextLength"));
  EXPECT_FALSE(r.contains("encryptVerification"));
  EXPECT_FALSE(r.contains("requestMetadataTruncated"));
}

TEST(AuditRecordTest, EncryptVerificationAndMetadataTruncationWhenSet) {
  AuditEvent e = testing::SampleEvent("t1", 0);
  e.encrypt_verification = "skipped_key_cannot_decrypt";
  e.request_metadata_truncated = {{"fields", {{"kmsRequestId", 60000}}}};
  nlohmann::json r = BuildEventRecord({1, "t", "i"}, e);
  EXPECT_EQ(r["encryptVerification"], "skipped_key_cannot_decrypt");
  EXPECT_EQ(r["requestMetadataTruncated"]["fields"]["kmsRequestId"], 60000);
}

TEST(AuditRecordTest, RefusalSummaryRecordWritesExactlyTheDocumentedFields) {
  AuditEvent e;
  e.kind = AuditEvent::Kind::kRefusalSummary;
  e.tenant = "t1";
  e.client_address = "192.0.2.1";
  e.result = "AuthenticationFailedException";
  e.http_status = 401;
  e.refusal_count = 41;
  e.first_refusal =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1795000000123456));
  e.last_refusal = e.first_refusal + std::chrono::seconds(9);
  e.operation = "must not appear";
  e.request_metadata = {{"must", "not appear"}};
  nlohmann::json r = BuildEventRecord({5, "2026-11-27T00:00:00.000000Z", "i"}, e);
  EXPECT_EQ(Keys(r), (std::set<std::string>{"seq", "time", "instance", "type", "tenant",
                                            "tenantSeq", "tenantPrev", "clientAddress", "result",
                                            "httpStatus", "count", "firstTime", "lastTime"}));
  EXPECT_EQ(r["type"], "refusal-summary");
  EXPECT_EQ(r["count"], 41);
  EXPECT_EQ(r["firstTime"], "2026-11-18T11:06:40.123456Z");
  EXPECT_EQ(r["lastTime"], "2026-11-18T11:06:49.123456Z");
  EXPECT_EQ(r["httpStatus"], 401);
}

TEST(AuditRecordTest, RequestMetadataUnknownFieldsAreKeptVerbatim) {
  AuditEvent e;
  e.request_metadata = {{"kmsOperation", "Encrypt"}, {"futureField", {{"nested", 1}}}};
  nlohmann::json r = BuildEventRecord({1, "t", "i"}, e);
  EXPECT_EQ(r["requestMetadata"]["futureField"]["nested"], 1);
}

TEST(AuditRecordTest, AdminRecordFields) {
  AuditEvent e;
  e.kind = AuditEvent::Kind::kAdmin;
  e.operation = "key.disable";
  e.tenant = "t1";
  e.details = {{"keys", {"k1"}}};
  nlohmann::json r = BuildEventRecord({3, "t", "i"}, e);
  EXPECT_EQ(Keys(r),
            (std::set<std::string>{"seq", "time", "instance", "type", "operation", "tenant",
                                   "tenantSeq", "tenantPrev", "externalKeyId", "keyLabel",
                                   "accessKeyId", "clientAddress", "result", "details"}));
  EXPECT_EQ(r["type"], "admin");
}

TEST(AuditRecordTest, OnlyRecordsNamingATenantCarryTenantFields) {
  AuditEvent e = testing::SampleEvent("", 1);
  nlohmann::json r = BuildEventRecord({1, "t", "i"}, e);
  EXPECT_FALSE(r.contains("tenantSeq"));
  EXPECT_FALSE(r.contains("tenantPrev"));
  e.tenant = "t1";
  Sha256Digest prev{};
  prev[0] = 0xab;
  r = BuildEventRecord({1, "t", "i"}, e, TenantLink{17, prev});
  EXPECT_EQ(r["tenantSeq"], 17);
  EXPECT_EQ(r["tenantPrev"], "ab" + std::string(62, '0'));
}

TEST(AuditRecordTest, LineIsSortedBodyPlusChainAndChainRecomputes) {
  AuditEvent e = testing::SampleEvent("t1", 2);
  nlohmann::json r = BuildEventRecord({1, "2026-11-27T00:00:00.000000Z", "i"}, e);
  Sha256Digest chain = kGenesisChain;
  std::string line = SerializeRecordLine(r, chain);
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  auto split = SplitRecordLine(line);
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->body, r.dump());  // nlohmann's default dump: compact, keys sorted
  EXPECT_EQ(split->chain, Sha256({kGenesisChain, Sha256(split->body)}));
  EXPECT_EQ(split->chain, chain);
  EXPECT_EQ(line.substr(0, 8), "{\"access");  // sorted: accessKeyId first
}

TEST(AuditRecordTest, TemplateFillEqualsDirectSerialisationEvenWithHostileStrings) {
  std::vector<AuditEvent> events;
  events.push_back(testing::SampleEvent("t1", 1));
  AuditEvent hostile = testing::SampleEvent("\"seq\":0,\"time\":\"\"", 2);
  hostile.request_metadata["seq"] = 0;
  hostile.request_metadata["time"] = "";
  hostile.request_metadata["zz"] = {{"seq", 0}, {"time", ""}};
  hostile.client_cert_subject = "CN=\"seq\":0,";
  hostile.request_metadata["tenantSeq"] = 0;
  hostile.request_metadata["tenantPrev"] = "";
  events.push_back(hostile);
  AuditEvent tenant_named = testing::SampleEvent("\"tenantSeq\":0,\"tenantPrev\":\"", 4);
  tenant_named.key_label = "\"tenantSeq\":0,";
  events.push_back(tenant_named);
  AuditEvent admin;
  admin.kind = AuditEvent::Kind::kAdmin;
  admin.details = {{"seq", 0}, {"time", ""}};
  events.push_back(admin);
  AuditEvent summary;
  summary.kind = AuditEvent::Kind::kRefusalSummary;
  summary.tenant = "\"time\":\"\"";
  summary.client_address = "\"seq\":0,";
  summary.refusal_count = 3;
  events.push_back(summary);
  AuditEvent truncated = testing::SampleEvent("t2", 3);
  truncated.encrypt_verification = "decrypted";
  truncated.request_metadata_truncated = {{"fields", {{"seq", 0}, {"time", 1}}}};
  events.push_back(truncated);
  for (const AuditEvent& e : events) {
    EventTemplate t = PrepareEventBody("inst", e);
    for (std::uint64_t seq : {1ull, 42ull, 18446744073709551615ull}) {
      const std::string time = "2026-11-27T21:16:38.123456Z";
      Sha256Digest prev{};
      prev[31] = static_cast<std::uint8_t>(seq);
      const TenantLink link{seq / 2 + 1, prev};
      EXPECT_EQ(FillEventBody(t, seq, time, link),
                CanonicalBody(BuildEventRecord({seq, time, "inst"}, e, link)));
    }
  }
}

TEST(AuditRecordTest, NonAsciiIsEscapedAndInvalidUtf8DoesNotThrow) {
  AuditEvent e;
  e.client_cert_subject = std::string("CN=caf\xc3\xa9 \xff");
  nlohmann::json r = BuildEventRecord({1, "t", "i"}, e);
  Sha256Digest chain = kGenesisChain;
  std::string line = SerializeRecordLine(r, chain);
  for (char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  EXPECT_NE(line.find("caf\\u00e9"), std::string::npos);
}

TEST(AuditRecordTest, SplitRejectsDamagedSuffix) {
  EXPECT_FALSE(SplitRecordLine("{\"a\":1}").has_value());
  std::string bad = "{\"a\":1,\"chain\":\"" + std::string(64, 'z') + "\"}";
  EXPECT_FALSE(SplitRecordLine(bad).has_value());
}

TEST(AuditRecordTest, CheckpointPayloadIsTheDocumentedText) {
  CheckpointFields f;
  f.first_seq = 2;
  f.last_seq = 9;
  f.key_id = "kid";
  f.algorithm = "ed25519";
  std::string p = CheckpointPayload({10, "T", "inst"}, f);
  EXPECT_EQ(p, "xks-audit-checkpoint-v1\ninst\n10\nT\n2\n9\n" + std::string(64, '0') +
                   "\nkid\ned25519\n");
  // With tenant chains (v2): the number of tenants and the root of their tree follow.
  Sha256Digest root{};
  root[0] = 0x01;
  f.tenants = TenantRoot{3, root};
  EXPECT_EQ(CheckpointPayload({10, "T", "inst"}, f),
            "xks-audit-checkpoint-v2\ninst\n10\nT\n2\n9\n" + std::string(64, '0') +
                "\nkid\ned25519\n3\n01" + std::string(62, '0') + "\n");
}

TEST(AuditRecordTest, Base64RoundTripAndStrictness) {
  std::vector<std::uint8_t> data = {0, 1, 2, 250, 251};
  std::string b = Base64Encode(data);
  EXPECT_EQ(b, "AAEC+vs=");
  EXPECT_EQ(Base64Decode(b).value(), data);
  EXPECT_FALSE(Base64Decode("AA=C").has_value());
  EXPECT_FALSE(Base64Decode("AAE").has_value());
  // Deliberately stricter since the audit room shares base's codec: non-zero bits under the
  // padding ("Zh==" would otherwise decode to "f", a second encoding of it) are refused, so a
  // hand-edited checkpoint signature is reported as malformed.
  EXPECT_EQ(Base64Decode("Zg==").value(), std::vector<std::uint8_t>{'f'});
  EXPECT_FALSE(Base64Decode("Zh==").has_value());
}

}  // namespace
}  // namespace xks::audit
