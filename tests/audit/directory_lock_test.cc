// The one-writer rule of an audit chain (proxy/audit/directory_lock.h): a second writer on the
// same directory is refused with a clear problem instead of forking the chain, and the next writer
// continues the chain once the first has closed.
#include "proxy/audit/directory_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "proxy/audit/audit_log.h"
#include "proxy/audit/audit_verifier.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::LogFiles;
using testing::SampleEvent;
using testing::TempDir;
using testing::TestConfig;

TEST(AuditDirectoryLockTest, ASecondWriterIsRefusedNamingTheHolder) {
  TempDir dir;
  auto signer = testing::NewSigner();
  const auto key = testing::KeyOf(*signer);
  auto first = AuditLog::Open(TestConfig(dir.path()), std::move(signer));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().path, "audit.directory");
  EXPECT_NE(second.error().problem.find("being written by another process (pid " +
                                        std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error().problem;
  EXPECT_NE(second.error().problem.find(AuditLockPath(dir.path(), "audit")), std::string::npos);
  // The refused writer wrote nothing: the first one's chain is intact.
  ASSERT_TRUE(first.value()->Append(SampleEvent("alpha", 1)).ok());
  first.value()->Close();
  auto report = VerifyAuditFiles(LogFiles(dir.path()), {key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

TEST(AuditDirectoryLockTest, TheNextWriterContinuesTheChainAfterClose) {
  TempDir dir;
  auto signer = testing::NewSigner();
  const auto key = testing::KeyOf(*signer);
  auto first = AuditLog::Open(TestConfig(dir.path()), std::move(signer));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first.value()->Append(SampleEvent("alpha", 1)).ok());
  first.value()->Close();  // releases the lock while the object still exists
  auto second_signer = testing::NewSigner();
  const auto second_key = testing::KeyOf(*second_signer);
  auto second = AuditLog::Open(TestConfig(dir.path()), std::move(second_signer));
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  ASSERT_TRUE(second.value()->Append(SampleEvent("alpha", 2)).ok());
  second.value()->Close();
  auto report = VerifyAuditFiles(LogFiles(dir.path()), {key, second_key});
  EXPECT_TRUE(report.Ok()) << report.ToText();
}

TEST(AuditDirectoryLockTest, AWaitingWriterGetsTheLockWhenTheHolderCloses) {
  TempDir dir;
  auto first = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner());
  ASSERT_TRUE(first.ok());
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    first.value()->Close();
  });
  AuditLogDeps deps;
  deps.lock_wait = std::chrono::seconds(30);  // a bound for a broken lock, not a timing check
  auto second = AuditLog::Open(TestConfig(dir.path()), testing::NewSigner(), deps);
  closer.join();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_TRUE(second.value()->Append(SampleEvent("alpha", 3)).ok());
}

TEST(AuditDirectoryLockTest, AnUnwritableDirectoryIsAClearProblem) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
  auto lock = LockAuditDirectory("/proc/xks-no-such-dir", "audit", std::chrono::milliseconds(0));
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().path, "audit.directory");
}

}  // namespace
}  // namespace xks::audit
