// The verifier given the files of several chains (the proxy's and xksctl's in one directory, or a
// log written before file-start records named their chain) verifies each chain on its own.
#include <gtest/gtest.h>

#include <algorithm>

#include "base/base64.h"
#include "proxy/audit/audit_record.h"
#include "proxy/audit/audit_verifier.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::FilesWithPrefix;
using testing::LoadSigner;
using testing::ReadLines;
using testing::TempDir;
using testing::WriteLines;

// Two writers in one directory, as the proxy and xksctl: same instance and key, own prefixes.
class AuditChainsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.Sub("signer.pem");
    ASSERT_TRUE(GenerateSignerKeyFile(key_file_, SignerKeyType::kP256).ok());
    key_ = testing::KeyOf(*LoadSigner(key_file_));
    logs_ = dir_.Sub("logs");
    auto proxy = AuditLog::Open(testing::TestConfig(logs_), LoadSigner(key_file_));
    ASSERT_TRUE(proxy.ok());
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(proxy.value()->Append(testing::SampleEvent("a", i)).ok());
    }
    proxy.value()->Close();
    auto config = testing::TestConfig(logs_);
    config.file_prefix = "xksctl";
    auto own = AuditLog::Open(config, LoadSigner(key_file_));
    ASSERT_TRUE(own.ok());
    AuditEvent admin;
    admin.kind = AuditEvent::Kind::kAdmin;
    admin.operation = "tenant.shred";
    admin.tenant = "a";
    ASSERT_TRUE(own.value()->Append(admin).ok());
    own.value()->Close();
  }

  std::vector<std::string> All() const {
    auto a = FilesWithPrefix(logs_, "audit");
    auto x = FilesWithPrefix(logs_, "xksctl");
    a.insert(a.begin(), x.begin(), x.end());  // xksctl's first: the order given must not matter
    return a;
  }

  TempDir dir_;
  std::string key_file_;
  std::string logs_;
  VerificationKey key_;
};

TEST_F(AuditChainsTest, FileStartNamesItsChain) {
  auto lines = ReadLines(FilesWithPrefix(logs_, "xksctl")[0]);
  auto first = nlohmann::json::parse(SplitRecordLine(lines[0])->body);
  EXPECT_EQ(first["type"], "file-start");
  EXPECT_EQ(first["chainId"], "test-instance/xksctl");
}

TEST_F(AuditChainsTest, TwoChainsVerifyTogetherEachOnItsOwn) {
  VerifyReport r = VerifyAuditFiles(All(), {key_});
  EXPECT_TRUE(r.Ok()) << r.ToText();
  ASSERT_EQ(r.chains.size(), 2u) << r.ToText();
  EXPECT_EQ(r.chains[0].chain_id, "test-instance/audit");
  EXPECT_EQ(r.chains[1].chain_id, "test-instance/xksctl");
  for (const ChainCoverage& c : r.chains) {
    EXPECT_EQ(c.first_seq, 1u) << c.chain_id;
    EXPECT_EQ(c.signed_through + 1, c.last_seq) << c.chain_id;
    EXPECT_EQ(c.files.size(), 1u);
  }
  EXPECT_EQ(r.chains[1].records, 3u);  // file-start, tenant-heads and the admin record
  EXPECT_EQ(r.records, r.chains[0].records + r.chains[1].records);
  std::string text = r.ToText();
  EXPECT_NE(text.find("chain test-instance/xksctl: 1 file(s)"), std::string::npos) << text;
  auto json = r.ToJson();
  EXPECT_EQ(json["chains"].size(), 2u);
  EXPECT_EQ(json["chains"][1]["chainId"], "test-instance/xksctl");
}

TEST_F(AuditChainsTest, FindingIsReportedInItsChainOnly) {
  const std::string own = FilesWithPrefix(logs_, "xksctl")[0];
  auto lines = ReadLines(own);
  std::size_t admin = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("\"tenant.shred\"") != std::string::npos) admin = i;
  }
  ASSERT_NE(admin, 0u);
  lines[admin].replace(lines[admin].find("\"tenant\":\"a\""), 12, "\"tenant\":\"b\"");
  WriteLines(own, lines);
  VerifyReport r = VerifyAuditFiles(All(), {key_});
  ASSERT_EQ(r.findings.size(), 1u) << r.ToText();
  EXPECT_EQ(r.findings[0].kind, FindingKind::kModified);
  EXPECT_EQ(r.findings[0].chain, "test-instance/xksctl");
  EXPECT_EQ(r.findings[0].seq, admin + 1);
  ASSERT_EQ(r.chains.size(), 2u);
  EXPECT_EQ(r.chains[0].findings, 0u);
  EXPECT_EQ(r.chains[1].findings, 1u);
}

TEST_F(AuditChainsTest, AnExportHoldsOneChain) {
  auto mixed = ExportTenant(All(), "a", dir_.Sub("mixed.jsonl"));
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().ToString().find("export each chain"), std::string::npos)
      << mixed.error().ToString();
  auto own = ExportTenant(FilesWithPrefix(logs_, "xksctl"), "a", dir_.Sub("own.jsonl"));
  ASSERT_TRUE(own.ok());
  VerifyReport r = VerifyAuditFiles({dir_.Sub("own.jsonl")}, {key_});
  EXPECT_TRUE(r.Ok()) << r.ToText();
  ASSERT_EQ(r.chains.size(), 1u);
  EXPECT_EQ(r.chains[0].chain_id, "test-instance/xksctl");  // kept by the verbatim file-start
}

// A chain written before file-start records carried `chainId`: its id comes from the instance
// and the file name's prefix, so it still verifies beside a current chain.
TEST_F(AuditChainsTest, LegacyFilesWithoutChainIdAreGroupedByNameAndInstance) {
  auto signer = LoadSigner(key_file_);
  Sha256Digest chain = kGenesisChain;
  nlohmann::json start =
      BuildFileStartRecord({1, "2026-01-01T00:00:00.000000Z", "old"}, "", "", 0, kGenesisChain);
  start.erase("chainId");
  start["format"] = 1;  // and no tenant chains either
  std::vector<std::string> lines;
  auto add = [&](const nlohmann::json& rec) {
    std::string line = SerializeRecordLine(rec, chain);
    line.pop_back();
    lines.push_back(line);
  };
  add(start);
  AuditEvent e = testing::SampleEvent("a", 0);
  nlohmann::json legacy = BuildEventRecord({2, "2026-01-01T00:00:01.000000Z", "old"}, e);
  legacy.erase("tenantSeq");
  legacy.erase("tenantPrev");
  add(legacy);
  CheckpointFields f{1, 2, chain, signer->key_id(), signer->algorithm(), "shutdown", std::nullopt};
  RecordHeader h{3, "2026-01-01T00:00:02.000000Z", "old"};
  std::string payload = CheckpointPayload(h, f);
  auto sig = signer->Sign(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  ASSERT_TRUE(sig.ok());
  add(BuildCheckpointRecord(h, f, Base64Encode(sig.value())));

  const std::string named = dir_.Sub("legacy-00000000000000000001.jsonl");
  WriteLines(named, lines);
  VerifyReport r = VerifyAuditFiles({named, FilesWithPrefix(logs_, "audit")[0]}, {key_});
  EXPECT_TRUE(r.Ok()) << r.ToText();
  ASSERT_EQ(r.chains.size(), 2u);
  EXPECT_EQ(r.chains[0].chain_id, "old/legacy");
  EXPECT_EQ(r.chains[0].signed_through, 2u);
}

}  // namespace
}  // namespace xks::audit
