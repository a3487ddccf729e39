// AuditLog::AppendAsync: a request waiting for its record is a pending entry, not a thread; the
// group commit that makes the record durable completes it. Same durability and failure model as
// Append (audit_log_test.cc).

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proxy/audit/audit_log.h"
#include "proxy/audit/audit_verifier.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::FaultyFileOps;
using testing::LogFiles;
using testing::SampleEvent;
using testing::TempDir;
using testing::TestConfig;

// Holds the writer inside write(2) while `held`, so a test can queue records behind a batch
// that is still going to disk. Counts the writes that carried request records.
class GatedFileOps : public FaultyFileOps {
 public:
  ssize_t Write(int fd, const void* data, std::size_t size) override {
    std::unique_lock lock(mu_);
    if (std::string_view(static_cast<const char*>(data), size).find("\"type\":\"request\"") !=
        std::string_view::npos) {
      ++request_writes_;
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_; });
    }
    lock.unlock();
    return FaultyFileOps::Write(fd, data, size);
  }
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void WaitUntilAWriteIsHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  int request_writes() {
    std::lock_guard lock(mu_);
    return request_writes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, entered_ = false;
  int request_writes_ = 0;
};

// Collects callback results; Wait blocks until `n` arrived.
class Completions {
 public:
  AuditSink::AppendCallback Callback() {
    return [this](ProxyResult<std::uint64_t> r) {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  std::vector<ProxyResult<std::uint64_t>> Wait(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return results_.size() >= n; });
    return std::move(results_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ProxyResult<std::uint64_t>> results_;
};

TEST(AuditLogAsyncTest, OneFlushCompletesEveryRecordQueuedBehindIt) {
  TempDir dir;
  auto signer = testing::NewSigner();
  VerificationKey key = testing::KeyOf(*signer);
  auto ops = std::make_shared<GatedFileOps>();
  auto log = AuditLog::Open(TestConfig(dir.path()), std::move(signer), {nullptr, ops});
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  Completions done;
  ops->Hold();
  log.value()->AppendAsync(SampleEvent("t", 0), done.Callback());
  ops->WaitUntilAWriteIsHeld();
  // The writer is stuck in the first batch's write; these calls must not wait for it.
  constexpr int kQueued = 199;
  for (int i = 1; i <= kQueued; ++i) log.value()->AppendAsync(SampleEvent("t", i), done.Callback());
  ops->Release();
  const auto results = done.Wait(kQueued + 1);
  std::set<std::uint64_t> seqs;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().log_detail;
    EXPECT_TRUE(seqs.insert(r.value()).second);
  }
  EXPECT_EQ(seqs.size(), kQueued + 1u);
  EXPECT_EQ(ops->request_writes(), 2) << "the 199 queued records went out in one batch";
  EXPECT_EQ(log.value()->Stats().records_written, kQueued + 1u);
  log.value()->Close();
  VerifyReport report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

TEST(AuditLogAsyncTest, AWriteFailureCompletesWithAnErrorAndTakesNoSequenceNumber) {
  TempDir dir;
  auto ops = std::make_shared<FaultyFileOps>();
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner(), {nullptr, ops});
  ASSERT_TRUE(log.ok());
  Completions done;
  ops->write_errno = EIO;
  log.value()->AppendAsync(SampleEvent("t", 1), done.Callback());
  auto failed = done.Wait(1);
  ASSERT_FALSE(failed[0].ok());
  EXPECT_EQ(failed[0].error().name, ErrorName::kInternal);
  EXPECT_NE(failed[0].error().log_detail.find("write"), std::string::npos);
  ops->write_errno = 0;
  log.value()->AppendAsync(SampleEvent("t", 2), done.Callback());
  auto ok = done.Wait(1);
  ASSERT_TRUE(ok[0].ok());
  EXPECT_EQ(log.value()->Stats().failed_appends, 1u);
}

TEST(AuditLogAsyncTest, AfterCloseTheCallbackGetsAnErrorAtOnce) {
  TempDir dir;
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_TRUE(log.ok());
  log.value()->Close();
  Completions done;
  log.value()->AppendAsync(SampleEvent("t", 1), done.Callback());
  auto r = done.Wait(1);
  ASSERT_FALSE(r[0].ok());
  EXPECT_EQ(r[0].error().name, ErrorName::kInternal);
}

TEST(AuditLogAsyncTest, RecordsQueuedAtCloseAreWrittenAndCompletedFirst) {
  TempDir dir;
  auto ops = std::make_shared<GatedFileOps>();
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner(), {nullptr, ops});
  ASSERT_TRUE(log.ok());
  Completions done;
  ops->Hold();
  log.value()->AppendAsync(SampleEvent("t", 0), done.Callback());
  ops->WaitUntilAWriteIsHeld();
  for (int i = 1; i <= 10; ++i) log.value()->AppendAsync(SampleEvent("t", i), done.Callback());
  std::thread closer([&] { log.value()->Close(); });
  ops->Release();
  closer.join();
  const auto results = done.Wait(11);
  for (const auto& r : results) EXPECT_TRUE(r.ok());
}

TEST(AuditLogAsyncTest, TheNextBatchGoesToDiskWhileTheLastOnesCallbacksStillRun) {
  TempDir dir;
  auto log = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_TRUE(log.ok());
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::uint64_t> order;
  auto slow = [&](ProxyResult<std::uint64_t> r) {
    std::unique_lock lock(mu);
    order.push_back(r.ok() ? r.value() : 0);
    cv.wait(lock, [&] { return release; });  // a slow answer: the connection is far away
  };
  auto quick = [&](ProxyResult<std::uint64_t> r) {
    std::lock_guard lock(mu);
    order.push_back(r.ok() ? r.value() : 0);
  };
  log.value()->AppendAsync(SampleEvent("t", 1), slow);
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return !order.empty(); });
    ASSERT_EQ(order.size(), 1u);
  }
  log.value()->AppendAsync(SampleEvent("t", 2), quick);
  // The writer is not held up by the first callback: the second record reaches the disk.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (log.value()->Stats().records_written < 2 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(log.value()->Stats().records_written, 2u);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(order.size(), 1u) << "callbacks run in order: the second waits for the first";
    release = true;
  }
  cv.notify_all();
  log.value()->Close();  // runs what is left
  std::lock_guard lock(mu);
  ASSERT_EQ(order.size(), 2u);
  EXPECT_LT(order[0], order[1]);
}

}  // namespace
}  // namespace xks::audit
