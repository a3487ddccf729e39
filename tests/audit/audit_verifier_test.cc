#include "proxy/audit/audit_verifier.h"

#include <gtest/gtest.h>

#include <cstring>

#include "proxy/audit/audit_record.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::LogFiles;
using testing::ReadLines;
using testing::TempDir;
using testing::WriteLines;

nlohmann::json Body(const std::string& line) {
  return nlohmann::json::parse(SplitRecordLine(line)->body);
}

// A log with two tenants, several checkpoints (every 4 records), closed cleanly.
class AuditVerifierTest : public ::testing::Test {
 protected:
  void Build(std::uint64_t rotate_bytes = 0, int records = 20) {
    auto signer = testing::NewSigner();
    key_ = testing::KeyOf(*signer);
    auto config = testing::TestConfig(dir_.path());
    config.checkpoint_every = 4;
    config.rotate_bytes = rotate_bytes;
    auto log = AuditLog::Open(config, std::move(signer));
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < records; ++i) {
      ASSERT_TRUE(log.value()->Append(testing::SampleEvent(i % 3 == 0 ? "b" : "a", i)).ok());
    }
    log.value()->Close();
    files_ = LogFiles(dir_.path());
  }
  VerifyReport Verify() { return VerifyAuditFiles(files_, {key_}); }
  // Index (0-based) of the n-th line of `type` in `lines`.
  static std::size_t Nth(const std::vector<std::string>& lines, const std::string& type, int n) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (nlohmann::json::parse(lines[i])["type"] == type && n-- == 0) return i;
    }
    ADD_FAILURE() << "no such line";
    return 0;
  }
  static std::string Describe(const VerifyReport& r) { return r.ToText(); }

  TempDir dir_;
  VerificationKey key_;
  std::vector<std::string> files_;
};

TEST_F(AuditVerifierTest, CleanLogVerifies) {
  Build();
  VerifyReport r = Verify();
  EXPECT_TRUE(r.Ok()) << Describe(r);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.signed_through + 1, r.last_seq);
  EXPECT_GE(r.checkpoints, 5u);
}

TEST_F(AuditVerifierTest, ModifiedFieldIsLocated) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "request", 5);
  std::string& l = lines[i];
  auto pos = l.find("\"tenant\":\"a\"");
  ASSERT_NE(pos, std::string::npos);
  l.replace(pos, 12, "\"tenant\":\"z\"");
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kModified);
  EXPECT_EQ(r.findings[0].seq, i + 1);
  EXPECT_EQ(r.findings[0].line, i + 1);
  EXPECT_EQ(r.findings[0].file, files_[0]);
}

TEST_F(AuditVerifierTest, DeletedLineIsLocated) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "request", 6);
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kDeleted);
  EXPECT_EQ(r.findings[0].seq, i + 1);
  EXPECT_EQ(r.findings[0].last_seq, i + 1);
  EXPECT_EQ(r.findings[0].line, i + 1);  // the line that now follows the gap
}

TEST_F(AuditVerifierTest, InsertedForgedLineWithRecomputedChainIsLocated) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "request", 4);
  // The forger knows the format and the (unkeyed) chain: a perfect-looking record for seq i+1.
  nlohmann::json forged = Body(lines[i]);
  forged["clientAddress"] = "203.0.113.66";
  Sha256Digest chain = SplitRecordLine(lines[i - 1])->chain;
  std::string line = SerializeRecordLine(forged, chain);
  line.pop_back();
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), line);
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kInserted);
  EXPECT_EQ(r.findings[0].line, i + 1);
}

TEST_F(AuditVerifierTest, InsertedGarbageAndDuplicateLinesAreLocated) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "request", 3);
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), "{\"hello\":\"world\"}");
  lines.push_back(lines[i + 2]);  // a replayed copy of a real record at the end
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 2u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kInserted);
  EXPECT_EQ(r.findings[0].line, i + 1);
  EXPECT_EQ(r.findings[1].kind, FindingKind::kInserted);
  EXPECT_EQ(r.findings[1].line, lines.size());
}

TEST_F(AuditVerifierTest, SwappedLinesAreReportedAsReordered) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "request", 7);
  std::swap(lines[i], lines[i + 1]);
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kReordered);
  EXPECT_EQ(r.findings[0].line, i + 1);
  EXPECT_EQ(r.findings[0].seq, i + 2);
}

TEST_F(AuditVerifierTest, FlippedSignatureBitIsABadSignature) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "checkpoint", 2);
  auto pos = lines[i].find("\"sig\":\"");
  ASSERT_NE(pos, std::string::npos);
  char& c = lines[i][pos + 10];
  c = (c == 'A') ? 'B' : 'A';
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_GE(r.findings.size(), 1u) << Describe(r);
  bool bad_sig = false;
  for (const auto& f : r.findings) {
    if (f.kind == FindingKind::kBadSignature) {
      bad_sig = true;
      EXPECT_EQ(f.line, i + 1);
    }
  }
  EXPECT_TRUE(bad_sig) << Describe(r);
  EXPECT_TRUE(r.Tampered());
}

TEST_F(AuditVerifierTest, RechainedModificationIsCaughtByTheSignedChainHead) {
  Build();
  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "request", 5);
  Sha256Digest chain = SplitRecordLine(lines[i - 1])->chain;
  for (std::size_t k = i; k < lines.size(); ++k) {
    nlohmann::json body = Body(lines[k]);
    if (k == i) body["result"] = "OK-but-forged";
    std::string l = SerializeRecordLine(body, chain);
    l.pop_back();
    lines[k] = l;
  }
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, FindingKind::kModified) << Describe(r);
  EXPECT_LE(r.findings[0].seq, i + 1);
  EXPECT_GE(r.findings[0].last_seq, i + 1);
}

TEST_F(AuditVerifierTest, TruncationAfterTheLastCheckpointLeavesAnUnsignedTail) {
  Build();
  auto lines = ReadLines(files_[0]);
  ASSERT_EQ(Body(lines.back())["type"], "checkpoint");
  lines.pop_back();
  WriteLines(files_[0], lines);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kUnsignedTail);
  EXPECT_EQ(r.findings[0].last_seq, lines.size());
  EXPECT_FALSE(r.Tampered());
}

TEST_F(AuditVerifierTest, IncompleteLastLineIsPartOfTheTailNotTampering) {
  Build();
  auto lines = ReadLines(files_[0]);
  lines.pop_back();
  WriteLines(files_[0], lines);
  testing::WriteFile(files_[0], testing::ReadFile(files_[0]) + "{\"accessKeyId\":\"AK");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.Tampered()) << Describe(r);
}

TEST_F(AuditVerifierTest, RemovedMiddleFileOfARotatedSetIsDeleted) {
  Build(4096, 80);
  ASSERT_GE(files_.size(), 3u);
  auto middle = ReadLines(files_[1]);
  std::uint64_t first = Body(middle.front())["seq"];
  std::uint64_t last = Body(middle.back())["seq"];
  std::filesystem::remove(files_[1]);
  files_.erase(files_.begin() + 1);
  VerifyReport r = Verify();
  ASSERT_EQ(r.findings.size(), 1u) << Describe(r);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kDeleted);
  EXPECT_EQ(r.findings[0].seq, first);
  EXPECT_EQ(r.findings[0].last_seq, last);
  EXPECT_EQ(r.findings[0].file, files_[1]);
  EXPECT_EQ(r.findings[0].line, 1u);
}

TEST_F(AuditVerifierTest, FilesAreOrderedByContentNotArgumentOrder) {
  Build(4096, 80);
  std::reverse(files_.begin(), files_.end());
  VerifyReport r = Verify();
  EXPECT_TRUE(r.Ok()) << Describe(r);
}

// The in-memory entry point (the fuzz target's) applies the same rules as the file one.
TEST_F(AuditVerifierTest, BytesInMemoryVerifyAsTheirFiles) {
  Build(4096, 80);
  ASSERT_GE(files_.size(), 3u);
  auto lines = ReadLines(files_[1]);
  lines[1] += " ";
  WriteLines(files_[1], lines);
  std::vector<AuditFileBytes> bytes;
  for (const std::string& f : files_) bytes.push_back({f, testing::ReadFile(f)});
  std::reverse(bytes.begin(), bytes.end());
  const VerifyReport from_files = Verify();
  ASSERT_TRUE(from_files.Tampered()) << Describe(from_files);
  EXPECT_EQ(Describe(VerifyAuditBytes(bytes, {key_})), Describe(from_files));
}

TEST_F(AuditVerifierTest, WrongPublicKeyIsReported) {
  Build();
  auto other = testing::NewSigner();
  VerifyReport r = VerifyAuditFiles(files_, {testing::KeyOf(*other)});
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, FindingKind::kUnknownKey);
  EXPECT_EQ(r.findings.back().kind, FindingKind::kUnsignedTail);
  EXPECT_EQ(r.checkpoints, 0u);
}

TEST_F(AuditVerifierTest, UnreadableFileIsAnIoFinding) {
  Build();
  files_.push_back(dir_.Sub("absent.jsonl"));
  VerifyReport r = Verify();
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, FindingKind::kIo);
}

TEST_F(AuditVerifierTest, TenantExportNamesTheFileItCannotUse) {
  Build(4096, 3);
  const std::string bad = dir_.Sub("bad.jsonl");
  testing::WriteFile(bad, "not a record\n");
  auto unparseable = ExportTenant({bad}, "a", dir_.Sub("out.jsonl"));
  ASSERT_FALSE(unparseable.ok());
  EXPECT_EQ(unparseable.error().path, bad + ":1");
  EXPECT_EQ(unparseable.error().ToString(), bad + ":1: unparseable record; run verify first");
  const std::string out = dir_.Sub("no-such-dir/out.jsonl");
  auto unwritable = ExportTenant(files_, "a", out);
  ASSERT_FALSE(unwritable.ok());
  EXPECT_EQ(unwritable.error().ToString(), out + ": cannot create: " + std::strerror(ENOENT));
}

TEST_F(AuditVerifierTest, TenantExportVerifiesAndHoldsNoOtherTenantContent) {
  Build(4096, 60);
  const std::string out = dir_.Sub("export-a.jsonl");
  auto summary = ExportTenant(files_, "a", out);
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary.value().tenant_records, 40u);
  // b's 20 records and each file's tenant-heads record (it names every tenant).
  EXPECT_EQ(summary.value().redacted_records, 20u + files_.size());
  std::string text = testing::ReadFile(out);
  for (const char* other : {"\"tenant\":\"b\"", "AKIAb", "user/b", "req-b-", "label-b", "/b/kms"}) {
    EXPECT_EQ(text.find(other), std::string::npos) << other;
  }
  EXPECT_NE(text.find("req-a-1\""), std::string::npos);
  for (const auto& line : ReadLines(out)) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "redacted") {
      EXPECT_EQ(j.size(), 3u);  // digest, seq, type: nothing else
    }
  }
  VerifyReport r = VerifyAuditFiles({out}, {key_});
  EXPECT_TRUE(r.Ok()) << Describe(r);
  EXPECT_EQ(r.last_seq, Verify().last_seq);

  // Tampering with the tenant's own record inside the export is detected.
  auto lines = ReadLines(out);
  std::size_t i = Nth(lines, "request", 2);
  auto pos = lines[i].find("\"httpStatus\":200");
  ASSERT_NE(pos, std::string::npos);
  lines[i].replace(pos, 16, "\"httpStatus\":201");
  WriteLines(out, lines);
  VerifyReport t = VerifyAuditFiles({out}, {key_});
  ASSERT_EQ(t.findings.size(), 1u) << Describe(t);
  EXPECT_EQ(t.findings[0].kind, FindingKind::kModified);
}

TEST_F(AuditVerifierTest, RefusalSummariesVerifyExportAndRevealTampering) {
  auto signer = testing::NewSigner();
  key_ = testing::KeyOf(*signer);
  auto config = testing::TestConfig(dir_.path());
  config.checkpoint_every = 3;
  auto log = AuditLog::Open(config, std::move(signer));
  ASSERT_TRUE(log.ok());
  for (const char* tenant : {"a", "b", ""}) {
    AuditEvent summary;
    summary.kind = AuditEvent::Kind::kRefusalSummary;
    summary.tenant = tenant;
    summary.client_address = std::string("192.0.2.") + (tenant[0] ? "1" : "2");
    summary.result = "AuthenticationFailedException";
    summary.http_status = 401;
    summary.refusal_count = 17;
    log.value()->AppendNoWait(summary);
    AuditEvent request = testing::SampleEvent(tenant[0] ? tenant : "a", 4);
    request.encrypt_verification = "skipped_key_cannot_decrypt";
    request.request_metadata_truncated = {{"fields", {{"kmsRequestId", 60000}}}};
    ASSERT_TRUE(log.value()->Append(request).ok());
  }
  log.value()->Close();
  files_ = LogFiles(dir_.path());
  VerifyReport clean = Verify();
  EXPECT_TRUE(clean.Ok()) << Describe(clean);

  const std::string out = dir_.Sub("export-a.jsonl");
  auto summary = ExportTenant(files_, "a", out);
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary.value().tenant_records, 1u + 2u) << "a's summary and a's two requests";
  const std::string text = testing::ReadFile(out);
  EXPECT_NE(text.find("\"type\":\"refusal-summary\""), std::string::npos);
  EXPECT_EQ(text.find("192.0.2.2"), std::string::npos) << "the tenant-less summary is redacted";
  VerifyReport exported = VerifyAuditFiles({out}, {key_});
  EXPECT_TRUE(exported.Ok()) << Describe(exported);

  auto lines = ReadLines(files_[0]);
  std::size_t i = Nth(lines, "refusal-summary", 1);
  auto pos = lines[i].find("\"count\":17");
  ASSERT_NE(pos, std::string::npos);
  lines[i].replace(pos, 10, "\"count\":18");
  WriteLines(files_[0], lines);
  VerifyReport t = Verify();
  ASSERT_EQ(t.findings.size(), 1u) << Describe(t);
  EXPECT_EQ(t.findings[0].kind, FindingKind::kModified);
  EXPECT_EQ(t.findings[0].line, i + 1);
}

TEST_F(AuditVerifierTest, ReportJsonNamesKindFileAndLine) {
  Build();
  auto lines = ReadLines(files_[0]);
  lines.erase(lines.begin() + 5);
  WriteLines(files_[0], lines);
  nlohmann::json j = Verify().ToJson();
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_TRUE(j["tampered"].get<bool>());
  EXPECT_EQ(j["findings"][0]["kind"], "deleted");
  EXPECT_EQ(j["findings"][0]["line"], 6);
  EXPECT_EQ(j["findings"][0]["file"], files_[0]);
}

}  // namespace
}  // namespace xks::audit
