// A process killed with SIGKILL while appending leaves a log that verifies except for at most
// an unsigned tail, and every acknowledged record is on disk. Own binary: it forks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>

#include "proxy/audit/audit_log.h"
#include "proxy/audit/audit_verifier.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

// Child: 4 threads append as fast as they can and report each acknowledged seq on the pipe.
[[noreturn]] void ChildAppend(const std::string& dir, const std::string& key_file, int fd,
                              Durability durability) {
  auto signer = FileCheckpointSigner::Load(key_file);
  if (!signer.ok()) _exit(3);
  auto config = testing::TestConfig(dir);
  config.durability = durability;
  config.checkpoint_interval = std::chrono::milliseconds(50);
  config.checkpoint_every = 64;
  config.rotate_bytes = 16384;  // rotations happen under load too
  auto log = AuditLog::Open(config, std::move(signer).value());
  if (!log.ok()) _exit(4);
  std::vector<std::thread> threads;
  std::mutex pipe_mu;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        // Built by appending: GCC 12 at -O3 misreads `"t" + std::to_string(t)`
        // (-Wstringop-overflow, a false positive).
        std::string name = "t";
        name += std::to_string(t);
        auto r = log.value()->Append(testing::SampleEvent(name, i));
        if (!r.ok()) _exit(5);
        std::uint64_t seq = r.value();
        std::lock_guard lock(pipe_mu);
        if (::write(fd, &seq, sizeof seq) != sizeof seq) _exit(6);
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

class AuditCrashTest : public ::testing::TestWithParam<Durability> {};

TEST_P(AuditCrashTest, SigkillUnderLoadLosesNoAcknowledgedRecord) {
  testing::TempDir dir;
  const std::string key_file = dir.Sub("key.pem");
  ASSERT_TRUE(GenerateSignerKeyFile(key_file, SignerKeyType::kP256).ok());
  auto signer = FileCheckpointSigner::Load(key_file);
  ASSERT_TRUE(signer.ok());
  VerificationKey key = testing::KeyOf(*signer.value());
  const std::string log_dir = dir.Sub("log");

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    ChildAppend(log_dir, key_file, fds[1], GetParam());
  }
  ::close(fds[1]);
  std::set<std::uint64_t> acked;
  std::uint64_t seq = 0;
  // Kill after enough acknowledged appends that rotations and checkpoints have happened.
  while (acked.size() < 1500) {
    ssize_t n = ::read(fds[0], &seq, sizeof seq);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof seq)) << "child died early";
    acked.insert(seq);
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // Acknowledgements already in the pipe were acknowledged before the kill: they count too.
  while (::read(fds[0], &seq, sizeof seq) == static_cast<ssize_t>(sizeof seq)) acked.insert(seq);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto files = testing::LogFiles(log_dir);
  ASSERT_GE(files.size(), 2u);
  VerifyReport report = VerifyAuditFiles(files, {key});
  EXPECT_FALSE(report.Tampered()) << report.ToText();
  for (const auto& f : report.findings) EXPECT_EQ(f.kind, FindingKind::kUnsignedTail);

  std::set<std::uint64_t> on_disk;
  for (const auto& f : files) {
    for (const auto& line : testing::ReadLines(f)) {
      auto split = SplitRecordLine(line);
      if (!split) continue;  // the torn final line, if any
      auto j = nlohmann::json::parse(split->body);
      if (j["type"] == "request") on_disk.insert(j["seq"].get<std::uint64_t>());
    }
  }
  for (std::uint64_t s : acked)
    EXPECT_TRUE(on_disk.count(s)) << "acknowledged seq " << s << " lost";

  // Restarting signs the tail and the whole log verifies cleanly.
  {
    auto log = AuditLog::Open(testing::TestConfig(log_dir), std::move(signer).value());
    ASSERT_TRUE(log.ok()) << log.error().ToString();
  }
  VerifyReport after = VerifyAuditFiles(testing::LogFiles(log_dir), {key});
  EXPECT_TRUE(after.Ok()) << after.ToText();
}

INSTANTIATE_TEST_SUITE_P(Modes, AuditCrashTest,
                         ::testing::Values(Durability::kFsync, Durability::kWrite),
                         [](const ::testing::TestParamInfo<Durability>& p) {
                           return p.param == Durability::kFsync ? std::string("Fsync")
                                                                : std::string("Write");
                         });

}  // namespace
}  // namespace xks::audit
