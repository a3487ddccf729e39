// Tenant-complete exports (docs/audit-format.md, "Per-tenant export"): each tenant's export
// verifies and proves that none of its records is missing, holds nothing of another tenant, and
// every deletion, edit, forged proof or foreign record is reported with its finding. Also the
// whole-log side: a tenant's record withheld and the chain recomputed is still found.

#include <gtest/gtest.h>

#include "proxy/audit/audit_log.h"
#include "proxy/audit/audit_record.h"
#include "proxy/audit/audit_verifier.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::LogFiles;
using testing::ReadLines;
using testing::TempDir;
using testing::WriteLines;

std::string TypeOf(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (auto split = SplitRecordLine(line)) j = nlohmann::json::parse(split->body, nullptr, false);
  return j.is_object() && j.contains("type") ? j["type"].get<std::string>() : "";
}

bool HasFinding(const VerifyReport& r, FindingKind kind) {
  for (const VerifyFinding& f : r.findings) {
    if (f.kind == kind) return true;
  }
  return false;
}

// Two tenants over rotated files, a checkpoint every 4 records; the log is restarted once, so
// the tenant chains run across a restart too.
class TenantExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = testing::TestConfig(dir_.Sub("logs"));
    config.checkpoint_every = 4;
    config.rotate_bytes = 4096;
    for (int run = 0; run < 2; ++run) {
      auto signer = testing::NewSigner();  // a new key at the restart, as rotation allows
      keys_.push_back(testing::KeyOf(*signer));
      auto log = AuditLog::Open(config, std::move(signer));
      ASSERT_TRUE(log.ok()) << log.error().ToString();
      for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE(log.value()->Append(testing::SampleEvent(i % 3 == 0 ? "b" : "a", i)).ok());
      }
      log.value()->Close();
    }
    files_ = LogFiles(config.directory);
  }

  std::string Exported(const std::string& tenant) {
    const std::string out = dir_.Sub("export-" + tenant + ".jsonl");
    auto summary = ExportTenantComplete(files_, tenant, out);
    EXPECT_TRUE(summary.ok()) << summary.error().ToString();
    return out;
  }
  VerifyReport Verify(const std::string& file) { return VerifyAuditFiles({file}, keys_); }

  TempDir dir_;
  std::vector<VerificationKey> keys_;
  std::vector<std::string> files_;
};

TEST_F(TenantExportTest, EachTenantsExportProvesItHoldsEveryRecordAndNothingElse) {
  ASSERT_GT(files_.size(), 3u);  // rotated, and restarted
  for (const auto& [tenant, count] : {std::pair<std::string, std::uint64_t>{"a", 40},
                                      std::pair<std::string, std::uint64_t>{"b", 20}}) {
    const std::string out = dir_.Sub("export-" + tenant + ".jsonl");
    auto summary = ExportTenantComplete(files_, tenant, out);
    ASSERT_TRUE(summary.ok()) << summary.error().ToString();
    EXPECT_EQ(summary->tenant_records, count);
    EXPECT_EQ(summary->redacted_records, 0u);
    EXPECT_EQ(summary->first_tenant_seq, 1u);
    EXPECT_EQ(summary->last_tenant_seq, count);
    EXPECT_GT(summary->proofs, 0u);
    VerifyReport r = Verify(out);
    EXPECT_TRUE(r.Ok()) << r.ToText();
    ASSERT_EQ(r.chains.size(), 1u);
    EXPECT_EQ(r.chains[0].chain_id, "test-instance/audit (tenant " + tenant + ")");
    EXPECT_EQ(r.records, count);
    EXPECT_EQ(r.chains[0].first_seq, 1u);
    EXPECT_EQ(r.chains[0].signed_through, count);  // the shutdown checkpoint proves the last one
    // Of the other tenant: no record, no stand-in, not even a count of its records.
    const std::string other = tenant == "a" ? "b" : "a";
    for (const std::string& line : ReadLines(out)) {
      const std::string type = TypeOf(line);
      EXPECT_TRUE(type == "tenant-export" || type == "checkpoint" || type == "tenant-proof" ||
                  type == "request")
          << line;
      EXPECT_EQ(line.find("\"tenant\":\"" + other + "\""), std::string::npos) << line;
    }
  }
}

TEST_F(TenantExportTest, ARecordDeletedFromTheExportIsReportedMissing) {
  const std::string out = Exported("a");
  auto lines = ReadLines(out);
  // A record in the middle: the next one's tenantSeq skips it.
  std::size_t middle = 0;
  int seen = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (TypeOf(lines[i]) == "request" && ++seen == 10) middle = i;
  }
  ASSERT_NE(middle, 0u);
  auto without = lines;
  without.erase(without.begin() + static_cast<std::ptrdiff_t>(middle));
  WriteLines(out, without);
  VerifyReport r = Verify(out);
  ASSERT_EQ(r.findings.size(), 1u) << r.ToText();
  EXPECT_EQ(r.findings[0].kind, FindingKind::kTenantMissing);
  EXPECT_EQ(r.findings[0].seq, 10u);  // tenantSeq of the deleted record
  EXPECT_EQ(r.findings[0].last_seq, 10u);
  EXPECT_TRUE(r.Tampered());

  // The tenant's record just before a checkpoint: only the checkpoint's proof knows of it.
  std::size_t before_checkpoint = 0;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    if (TypeOf(lines[i]) == "request" && TypeOf(lines[i + 1]) == "checkpoint") {
      before_checkpoint = i;
      break;
    }
  }
  ASSERT_NE(before_checkpoint, 0u);
  without = lines;
  without.erase(without.begin() + static_cast<std::ptrdiff_t>(before_checkpoint));
  WriteLines(out, without);
  r = Verify(out);
  ASSERT_FALSE(r.findings.empty()) << r.ToText();
  EXPECT_EQ(r.findings[0].kind, FindingKind::kTenantMissing) << r.ToText();
  EXPECT_NE(r.findings[0].detail.find("were signed by checkpoint"), std::string::npos);

  // The tenant's first record, before any proof: the export would start at tenantSeq 2.
  without = lines;
  for (std::size_t i = 0; i < without.size(); ++i) {
    if (TypeOf(without[i]) == "request") {
      without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  WriteLines(out, without);
  r = Verify(out);
  ASSERT_FALSE(r.findings.empty()) << r.ToText();
  EXPECT_EQ(r.findings[0].kind, FindingKind::kTenantMissing) << r.ToText();
  EXPECT_EQ(r.findings[0].seq, 1u);
}

TEST_F(TenantExportTest, EditsForgedProofsAndForeignRecordsAreReported) {
  const std::string out = Exported("a");
  const auto lines = ReadLines(out);
  std::size_t record = 0;
  std::size_t proof = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (record == 0 && TypeOf(lines[i]) == "request") record = i;
    if (proof == 0 && TypeOf(lines[i]) == "tenant-proof" && i > record && record != 0) proof = i;
  }
  ASSERT_NE(proof, 0u);

  auto edited = lines;
  auto pos = edited[record].find("\"result\":\"OK\"");
  ASSERT_NE(pos, std::string::npos);
  edited[record].replace(pos, 13, "\"result\":\"NO\"");
  WriteLines(out, edited);
  EXPECT_TRUE(HasFinding(Verify(out), FindingKind::kModified)) << Verify(out).ToText();

  auto forged = lines;
  nlohmann::json p = nlohmann::json::parse(forged[proof]);
  ASSERT_FALSE(p["path"].empty());
  std::string hash = p["path"][0];
  hash[0] = hash[0] == '0' ? '1' : '0';
  p["path"][0] = hash;
  forged[proof] = p.dump();
  WriteLines(out, forged);
  EXPECT_TRUE(HasFinding(Verify(out), FindingKind::kBadProof)) << Verify(out).ToText();

  auto dropped = lines;
  dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(proof));
  WriteLines(out, dropped);
  VerifyReport r = Verify(out);
  EXPECT_TRUE(HasFinding(r, FindingKind::kBadProof)) << r.ToText();

  // Another tenant's genuine record does not belong in a's export.
  std::string foreign;
  for (const std::string& line : ReadLines(files_[0])) {
    if (line.find("\"tenant\":\"b\"") != std::string::npos) foreign = line;
  }
  ASSERT_FALSE(foreign.empty());
  auto mixed = lines;
  mixed.insert(mixed.begin() + static_cast<std::ptrdiff_t>(record) + 1, foreign);
  WriteLines(out, mixed);
  EXPECT_TRUE(HasFinding(Verify(out), FindingKind::kInserted)) << Verify(out).ToText();
}

// In the whole log: a's record withheld and the instance's chain recomputed over the gap (so
// sequence numbers and chain run on) is still found through a's own chain.
TEST_F(TenantExportTest, AWithheldTenantRecordIsFoundInTheWholeLogToo) {
  auto lines = ReadLines(files_[0]);
  std::size_t victim = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (victim == 0 && lines[i].find("\"tenant\":\"a\"") != std::string::npos) victim = i;
  }
  ASSERT_NE(victim, 0u);
  Sha256Digest chain = SplitRecordLine(lines[victim - 1])->chain;
  std::vector<std::string> rewritten(lines.begin(),
                                     lines.begin() + static_cast<std::ptrdiff_t>(victim));
  for (std::size_t k = victim + 1; k < lines.size(); ++k) {
    nlohmann::json body = nlohmann::json::parse(SplitRecordLine(lines[k])->body);
    body["seq"] = body["seq"].get<std::uint64_t>() - 1;
    std::string l = SerializeRecordLine(body, chain);
    l.pop_back();
    rewritten.push_back(l);
  }
  WriteLines(files_[0], rewritten);
  VerifyReport r = VerifyAuditFiles({files_[0]}, keys_);
  EXPECT_TRUE(HasFinding(r, FindingKind::kTenantMissing)) << r.ToText();
}

TEST_F(TenantExportTest, FilesBeforeTenantChainsNeedTheRedactedExport) {
  // A file of the old format: no tenant-heads, v1 checkpoints, records without tenant fields.
  std::vector<std::string> old;
  Sha256Digest chain = kGenesisChain;
  for (const std::string& line : ReadLines(files_[0])) {
    nlohmann::json body = nlohmann::json::parse(SplitRecordLine(line)->body);
    if (body["type"] == "tenant-heads" || body["type"] == "checkpoint") continue;
    if (body["type"] == "file-start") body["format"] = 1;
    body.erase("tenantSeq");
    body.erase("tenantPrev");
    body["seq"] = old.size() + 1;
    std::string l = SerializeRecordLine(body, chain);
    l.pop_back();
    old.push_back(l);
  }
  const std::string legacy = dir_.Sub("legacy-00000000000000000001.jsonl");
  WriteLines(legacy, old);
  auto complete = ExportTenantComplete({legacy}, "a", dir_.Sub("x.jsonl"));
  ASSERT_FALSE(complete.ok());
  EXPECT_NE(complete.error().ToString().find("--redacted"), std::string::npos);
}

}  // namespace
}  // namespace xks::audit
