#include "proxy/audit/audit_log.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "proxy/audit/audit_verifier.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::FakeClock;
using testing::FaultyFileOps;
using testing::LogFiles;
using testing::ReadLines;
using testing::SampleEvent;
using testing::TempDir;
using testing::TestConfig;

std::vector<nlohmann::json> Records(const std::string& dir) {
  std::vector<nlohmann::json> out;
  for (const auto& f : LogFiles(dir)) {
    for (const auto& l : ReadLines(f)) {
      auto split = SplitRecordLine(l);
      EXPECT_TRUE(split.has_value()) << l;
      if (split) out.push_back(nlohmann::json::parse(split->body));
    }
  }
  return out;
}

int CountType(const std::vector<nlohmann::json>& recs, const std::string& type,
              const std::string& reason = "") {
  int n = 0;
  for (const auto& r : recs) {
    if (r["type"] == type && (reason.empty() || r.value("reason", "") == reason)) ++n;
  }
  return n;
}

// Polls a condition that the writer thread makes true on its own; bounded so a bug fails the
// test instead of hanging it. Not a timing assertion: any delay below the bound passes.
template <typename F>
bool Eventually(F f) {
  for (int i = 0; i < 6000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class FlakySigner : public CheckpointSigner {
 public:
  explicit FlakySigner(std::unique_ptr<CheckpointSigner> inner) : inner_(std::move(inner)) {}
  std::string key_id() const override { return inner_->key_id(); }
  std::string algorithm() const override { return inner_->algorithm(); }
  std::string PublicKeyPem() const override { return inner_->PublicKeyPem(); }
  Result<std::vector<std::uint8_t>, Problem> Sign(std::span<const std::uint8_t> message) override {
    if (fail.load()) return Fail(MakeProblem("", "HSM unavailable"));
    return inner_->Sign(message);
  }
  std::atomic<bool> fail{false};

 private:
  std::unique_ptr<CheckpointSigner> inner_;
};

TEST(AuditLogTest, ConcurrentAppendsGetUniqueSequenceNumbersInFileOrderAndVerify) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  auto clock = std::make_shared<FakeClock>();
  auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer), {clock, nullptr});
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  std::mutex mu;
  std::set<std::uint64_t> seqs;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string name = "t";  // appended: GCC 12 -O3 false -Wstringop-overflow on "t" + ...
        name += std::to_string(t);
        auto r = log.value()->Append(SampleEvent(name, i));
        ASSERT_TRUE(r.ok());
        std::lock_guard lock(mu);
        EXPECT_TRUE(seqs.insert(r.value()).second);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(log.value()->Healthy());
  log.value()->Close();
  EXPECT_FALSE(log.value()->Healthy());
  auto recs = Records(dir.path());
  std::uint64_t expect = 1;
  std::set<std::uint64_t> on_disk;
  for (const auto& r : recs) {
    EXPECT_EQ(r["seq"], expect++);
    EXPECT_EQ(r["instance"], "test-instance");
    if (r["type"] == "request") on_disk.insert(r["seq"].get<std::uint64_t>());
  }
  EXPECT_EQ(on_disk, seqs);
  EXPECT_EQ(recs[0]["type"], "file-start");
  EXPECT_EQ(recs[0]["prevSeq"], 0);
  EXPECT_EQ(recs[0]["prevChain"], std::string(64, '0'));
  EXPECT_EQ(recs[1]["type"], "tenant-heads");
  EXPECT_EQ(recs[1]["heads"], nlohmann::json::object());  // genesis: no tenant has records yet
  EXPECT_EQ(recs[2]["reason"], "startup");
  EXPECT_EQ(recs.back()["reason"], "shutdown");
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
  EXPECT_EQ(report.signed_through, recs.back()["seq"].get<std::uint64_t>() - 1);
}

TEST(AuditLogTest, AppendAfterCloseFailsClosed) {
  TempDir dir;
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_TRUE(log.ok());
  log.value()->Close();
  auto r = log.value()->Append(SampleEvent("t", 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().name, ErrorName::kInternal);
}

// What the metrics read: each commit's duration, the queue depth and the last checkpoint's time.
TEST(AuditLogTest, TellsTheFlushObserverAndReportsTheLastCheckpoint) {
  TempDir dir;
  int flushes = 0;
  FlushObserver on_flush = [&flushes](std::chrono::steady_clock::duration took) {
    EXPECT_GE(took.count(), 0);
    ++flushes;  // on the writer thread; read after Close (which joins it)
  };
  const auto before = std::chrono::system_clock::now();
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner(), {}, std::move(on_flush));
  ASSERT_TRUE(log.ok());
  const AuditLogStats opened = log.value()->Stats();
  EXPECT_GE(opened.last_checkpoint, before);  // the startup checkpoint
  EXPECT_EQ(opened.queued, 0u);
  ASSERT_TRUE(log.value()->Append(SampleEvent("t", 1)).ok());
  ASSERT_TRUE(log.value()->Append(SampleEvent("t", 2)).ok());
  log.value()->Close();
  // The startup checkpoint, two appends (each waited for) and the shutdown checkpoint.
  EXPECT_EQ(flushes, 4);
}

TEST(AuditLogTest, CheckpointEveryNRecords) {
  TempDir dir;
  auto config = TestConfig(dir.path());
  config.checkpoint_every = 5;
  auto log = AuditLog::Open(config, testing::NewSigner());
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(log.value()->Append(SampleEvent("t", i)).ok());
  log.value()->Close();
  auto recs = Records(dir.path());
  EXPECT_EQ(CountType(recs, "checkpoint", "count"), 2);
  EXPECT_EQ(CountType(recs, "checkpoint", "shutdown"), 1);
}

TEST(AuditLogTest, CheckpointWithinTheIntervalWithoutNewRecords) {
  TempDir dir;
  auto config = TestConfig(dir.path());
  config.checkpoint_interval = std::chrono::milliseconds(20);
  auto log = AuditLog::Open(config, testing::NewSigner());
  ASSERT_TRUE(log.ok());
  const auto before = log.value()->Stats().checkpoints_written;
  ASSERT_TRUE(log.value()->Append(SampleEvent("t", 1)).ok());
  EXPECT_TRUE(Eventually([&] { return log.value()->Stats().checkpoints_written > before; }));
  log.value()->Close();
  auto recs = Records(dir.path());
  EXPECT_EQ(CountType(recs, "checkpoint", "interval"), 1);
  EXPECT_EQ(CountType(recs, "checkpoint", "shutdown"), 0);  // nothing left unsigned
}

TEST(AuditLogTest, ForcedCheckpointCoversEverything) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer));
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.value()->Append(SampleEvent("t", i)).ok());
  ASSERT_TRUE(log.value()->Checkpoint().ok());
  // Before Close: the files as they are now already verify with no unsigned tail.
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
  EXPECT_EQ(report.signed_through, 6u);  // file-start, tenant-heads, startup checkpoint, 3 records
}

TEST(AuditLogTest, SizeRotationChainsFilesWithFileStartAndCheckpoints) {
  TempDir dir;
  auto signer = testing::NewSigner(SignerKeyType::kEd25519);
  VerificationKey key = testing::KeyOf(*signer);
  auto config = TestConfig(dir.path());
  config.rotate_bytes = 4096;
  auto log = AuditLog::Open(config, std::move(signer));
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(log.value()->Append(SampleEvent("t", i)).ok());
  log.value()->Close();
  auto files = LogFiles(dir.path());
  ASSERT_GE(files.size(), 3u);
  for (std::size_t f = 0; f < files.size(); ++f) {
    auto lines = ReadLines(files[f]);
    auto first = nlohmann::json::parse(SplitRecordLine(lines.front())->body);
    auto last = nlohmann::json::parse(SplitRecordLine(lines.back())->body);
    EXPECT_EQ(first["type"], "file-start");
    EXPECT_EQ(last["type"], "checkpoint");
    if (f > 0) {
      EXPECT_EQ(first["prevFile"], std::filesystem::path(files[f - 1]).filename().string());
      auto prev_last = SplitRecordLine(ReadLines(files[f - 1]).back());
      EXPECT_EQ(first["prevChain"], HexEncode(prev_last->chain));
      EXPECT_EQ(last["reason"], f + 1 == files.size() ? "shutdown" : "rotation");
    }
  }
  VerifyReport report = VerifyAuditFiles(files, {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

TEST(AuditLogTest, RestartContinuesTheChainAndDropsATornLine) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  {
    auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer));
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log.value()->Append(SampleEvent("t", i)).ok());
  }
  // A crash in the middle of a write leaves a partial line that was never acknowledged.
  auto files = LogFiles(dir.path());
  ASSERT_EQ(files.size(), 1u);
  testing::WriteFile(files[0], testing::ReadFile(files[0]) + "{\"accessKeyId\":\"AKIA");
  auto signer2 = testing::NewSigner();  // a rotated signing key
  VerificationKey key2 = testing::KeyOf(*signer2);
  {
    auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer2));
    ASSERT_TRUE(log.ok()) << log.error().ToString();
    auto r = log.value()->Append(SampleEvent("t", 9));
    ASSERT_TRUE(r.ok());
    // 1 file-start, 2 tenant-heads, 3 checkpoint, 4-8 records, 9 shutdown, 10 file-start,
    // 11 tenant-heads, 12 startup checkpoint.
    EXPECT_EQ(r.value(), 13u);
  }
  files = LogFiles(dir.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(testing::ReadFile(files[0]).back(), '\n');
  VerifyReport report = VerifyAuditFiles(files, {key, key2});
  EXPECT_TRUE(report.Ok()) << report.ToText();
  // Only the old key: the new file's checkpoints name an unknown key.
  VerifyReport old_only = VerifyAuditFiles(files, {key});
  EXPECT_TRUE(old_only.Tampered());
  EXPECT_EQ(old_only.findings[0].kind, FindingKind::kUnknownKey);
}

TEST(AuditLogTest, RestartIgnoresAnEmptyFileLeftByACrashDuringRotation) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  std::uint64_t last = 0;
  {
    auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer));
    ASSERT_TRUE(log.ok());
    last = log.value()->Append(SampleEvent("t", 1)).value();
  }
  // The file the next run would create, left empty by a crash before its first write.
  char name[64];
  std::snprintf(name, sizeof name, "audit-%020llu.jsonl",
                static_cast<unsigned long long>(last + 2));
  testing::WriteFile(dir.Sub(name), "");
  auto signer2 = testing::NewSigner();
  VerificationKey key2 = testing::KeyOf(*signer2);
  {
    auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer2));
    ASSERT_TRUE(log.ok()) << log.error().ToString();
  }
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key, key2});
  EXPECT_TRUE(report.Ok()) << report.ToText();
  EXPECT_EQ(LogFiles(dir.path()).size(), 2u);
}

TEST(AuditLogTest, RefusesToContinueFromAMalformedLastRecord) {
  TempDir dir;
  {
    auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
    ASSERT_TRUE(log.ok());
  }
  auto files = LogFiles(dir.path());
  testing::WriteFile(files[0], testing::ReadFile(files[0]) + "garbage\n");
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().path, "audit.directory");
  EXPECT_NE(log.error().problem.find("malformed"), std::string::npos) << log.error().ToString();
}

class AuditLogFaultTest : public ::testing::TestWithParam<int> {};

TEST_P(AuditLogFaultTest, WriteFailureFailsClosedThenRecoversWithAContinuousChain) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  auto ops = std::make_shared<FaultyFileOps>();
  auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer), {nullptr, ops});
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(log.value()->Append(SampleEvent("t", 1)).ok());
  ops->write_errno = GetParam();
  ops->partial_write = true;  // half a record reaches the file before the failure
  auto failed = log.value()->Append(SampleEvent("t", 2));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().name, ErrorName::kInternal);
  EXPECT_EQ(failed.error().log_detail,
            std::string("audit write failed: write: ") + std::strerror(GetParam()));
  EXPECT_FALSE(log.value()->Healthy());
  EXPECT_FALSE(log.value()->Append(SampleEvent("t", 3)).ok());
  ops->write_errno = 0;
  auto ok = log.value()->Append(SampleEvent("t", 4));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), 5u);  // the refused records took no sequence numbers
  EXPECT_TRUE(log.value()->Healthy());
  EXPECT_EQ(log.value()->Stats().failed_appends, 2u);
  log.value()->Close();
  auto recs = Records(dir.path());
  EXPECT_EQ(CountType(recs, "request"), 2);
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

INSTANTIATE_TEST_SUITE_P(Errnos, AuditLogFaultTest, ::testing::Values(ENOSPC, EIO),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return p.param == ENOSPC ? std::string("ENOSPC") : std::string("EIO");
                         });

TEST(AuditLogTest, SyncFailureFailsClosedAndTheWriterRecoversByItself) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  auto ops = std::make_shared<FaultyFileOps>();
  auto config = TestConfig(dir.path());
  config.retry_interval = std::chrono::milliseconds(5);
  auto log = AuditLog::Open(config, std::move(signer), {nullptr, ops});
  ASSERT_TRUE(log.ok());
  ops->sync_errno = EIO;
  auto failed = log.value()->Append(SampleEvent("t", 1));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().log_detail,
            std::string("audit write failed: fdatasync: ") + std::strerror(EIO));
  EXPECT_FALSE(log.value()->Healthy());
  ops->sync_errno = 0;
  // No further Append: the writer's own probe (a recovery checkpoint) must restore health.
  EXPECT_TRUE(Eventually([&] { return log.value()->Healthy(); }));
  log.value()->Close();
  auto recs = Records(dir.path());
  EXPECT_EQ(CountType(recs, "request"), 0);
  EXPECT_GE(CountType(recs, "checkpoint", "recovery"), 1);
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

TEST(AuditLogTest, SignerFailingBeyondGraceFailsClosedUntilItSignsAgain) {
  TempDir dir;
  auto flaky = std::make_unique<FlakySigner>(testing::NewSigner());
  FlakySigner* signer = flaky.get();
  VerificationKey key = testing::KeyOf(*signer);
  auto log = AuditLog::Open(TestConfig(dir.path()), std::move(flaky));  // grace 0
  ASSERT_TRUE(log.ok());
  signer->fail = true;
  ASSERT_TRUE(log.value()->Append(SampleEvent("t", 1)).ok());
  EXPECT_FALSE(log.value()->Checkpoint().ok());
  EXPECT_FALSE(log.value()->Healthy());
  auto refused = log.value()->Append(SampleEvent("t", 2));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().name, ErrorName::kInternal);
  signer->fail = false;
  EXPECT_TRUE(log.value()->Checkpoint().ok());
  EXPECT_TRUE(log.value()->Healthy());
  EXPECT_TRUE(log.value()->Append(SampleEvent("t", 3)).ok());
  log.value()->Close();
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

TEST(AuditLogTest, OpenFailsWhenTheSignerCannotSign) {
  TempDir dir;
  auto flaky = std::make_unique<FlakySigner>(testing::NewSigner());
  flaky->fail = true;
  auto log = AuditLog::Open(TestConfig(dir.path()), std::move(flaky));
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().path, "audit.signer");
  EXPECT_NE(log.error().problem.find("signer failed"), std::string::npos);
}

TEST(AuditLogTest, AppendNoWaitRecordsAreWritten) {
  TempDir dir;
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 10; ++i) log.value()->AppendNoWait(SampleEvent("t", i));
  ASSERT_TRUE(log.value()->Checkpoint().ok());
  EXPECT_EQ(log.value()->Stats().records_written, 10u);
  log.value()->Close();
  EXPECT_EQ(CountType(Records(dir.path()), "request"), 10);
}

TEST(AuditLogTest, WriteModeAndStdoutMirror) {
  TempDir dir;
  auto config = TestConfig(dir.path());
  config.durability = Durability::kWrite;
  config.mirror = Mirror::kStdout;
  auto clock = std::make_shared<FakeClock>();
  auto log = AuditLog::Open(config, testing::NewSigner(), {clock, nullptr});
  ASSERT_TRUE(log.ok());
  ::testing::internal::CaptureStdout();
  ASSERT_TRUE(log.value()->Append(SampleEvent("mirror-tenant", 1)).ok());
  log.value()->Close();
  std::string mirrored = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(mirrored.find("\"tenant\":\"mirror-tenant\""), std::string::npos);
  // The injected clock dates the records.
  EXPECT_NE(mirrored.find(FormatTimestamp(clock->Now())), std::string::npos);
  auto lines = ReadLines(LogFiles(dir.path())[0]);
  EXPECT_NE(mirrored.find(lines[3]), std::string::npos);
}

// A real full filesystem: needs root and permission to mount (skipped otherwise).
TEST(AuditLogTest, RealTinyFilesystemFullFailsClosedAndRecovers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
  TempDir dir;
  const std::string mnt = dir.Sub("mnt");
  std::filesystem::create_directory(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "mount -t tmpfs not permitted here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  // Reserve space that can be released later to simulate an operator freeing the disk.
  testing::WriteFile(mnt + "/ballast", std::string(24 * 1024, 'x'));
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  auto config = TestConfig(mnt + "/audit");
  auto log = AuditLog::Open(config, std::move(signer));
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  int ok = 0;
  bool failed = false;
  for (int i = 0; i < 5000 && !failed; ++i) {
    auto r = log.value()->Append(SampleEvent("t", i));
    if (r.ok()) {
      ++ok;
    } else {
      failed = true;
      EXPECT_EQ(r.error().name, ErrorName::kInternal);
    }
  }
  ASSERT_TRUE(failed) << "64k tmpfs never filled";
  EXPECT_FALSE(log.value()->Healthy());
  std::filesystem::remove(mnt + "/ballast");
  ASSERT_TRUE(log.value()->Append(SampleEvent("t", 99999)).ok());
  EXPECT_TRUE(log.value()->Healthy());
  log.value()->Close();
  auto recs = Records(config.directory);
  EXPECT_EQ(CountType(recs, "request"), ok + 1);
  VerifyReport report = VerifyAuditFiles(LogFiles(config.directory), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

}  // namespace
}  // namespace xks::audit

namespace xks::audit {
namespace {

// Tenant chains run on across restarts; when the newest file's tenant-heads record was lost
// (its file-start reached the disk, the line after it did not), the files before it say where
// the tenants stood.
TEST(AuditLogTest, TenantChainsContinueAcrossRestartsEvenWithoutTheNewestTenantHeads) {
  TempDir dir;
  std::vector<VerificationKey> keys;
  auto run = [&](int records) {
    auto signer = testing::NewSigner();
    keys.push_back(testing::KeyOf(*signer));
    auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer));
    ASSERT_TRUE(log.ok()) << log.error().ToString();
    for (int i = 0; i < records; ++i) ASSERT_TRUE(log.value()->Append(SampleEvent("t", i)).ok());
  };
  run(3);
  // The file a crash left behind: only its file-start record.
  auto files = LogFiles(dir.path());
  const std::string last = testing::ReadLines(files.back()).back();
  auto split = SplitRecordLine(last);
  const std::uint64_t last_seq = nlohmann::json::parse(split->body)["seq"];
  Sha256Digest chain = split->chain;
  nlohmann::json start = BuildFileStartRecord(
      {last_seq + 1, "2026-11-18T11:06:41.000000Z", "test-instance"}, "test-instance/audit",
      std::filesystem::path(files.back()).filename().string(), last_seq, chain);
  char name[64];
  std::snprintf(name, sizeof name, "/audit-%020llu.jsonl",
                static_cast<unsigned long long>(last_seq + 1));
  testing::WriteFile(dir.path() + name, SerializeRecordLine(start, chain));
  run(1);
  std::uint64_t last_tenant_seq = 0;
  for (const nlohmann::json& r : Records(dir.path())) {
    if (r["type"] == "request") last_tenant_seq = r["tenantSeq"];
  }
  EXPECT_EQ(last_tenant_seq, 4u);
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), keys);
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

}  // namespace
}  // namespace xks::audit
