#include "base/secret_bytes.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace xks {
namespace {

std::span<const std::uint8_t> ByteSpan(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(SecretBytesTest, CloneCopiesAndTruncateShrinks) {
  SecretBytes secret(std::string_view("pin-1234\n"));
  SecretBytes copy = secret.Clone();
  EXPECT_EQ(copy.view(), "pin-1234\n");
  copy.Truncate(8);
  EXPECT_EQ(copy.view(), "pin-1234");
  EXPECT_EQ(secret.size(), 9u);
  copy.Truncate(100);  // growing is not what Truncate does
  EXPECT_EQ(copy.size(), 8u);
}

TEST(SecretBytesTest, TruncateWipesTheCutOffTail) {
  SecretBytes secret(std::string_view("abcdef"));
  const std::uint8_t* tail = secret.data() + 3;
  secret.Truncate(3);
  // The vector keeps its capacity, so the cut-off bytes are still addressable and must be zero.
  EXPECT_EQ(tail[0], 0);
  EXPECT_EQ(tail[1], 0);
  EXPECT_EQ(tail[2], 0);
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals(ByteSpan("abc"), ByteSpan("abc")));
  EXPECT_FALSE(ConstantTimeEquals(ByteSpan("abc"), ByteSpan("abd")));
  EXPECT_FALSE(ConstantTimeEquals(ByteSpan("abc"), ByteSpan("ab")));
  EXPECT_TRUE(ConstantTimeEquals(ByteSpan(""), ByteSpan("")));
}

TEST(SecretMemoryTest, SecretBytesLiveInTheLockedDumpExcludedRegion) {
  SecretBytes pin(std::string_view("1234"));
  SecretBytes plaintext(std::size_t{4300});
  EXPECT_TRUE(secret_memory::InArena(pin.data()));
  EXPECT_TRUE(secret_memory::InArena(plaintext.data()));
  const secret_memory::Stats stats = secret_memory::GetStats();
  EXPECT_EQ(stats.reserved_bytes, std::size_t{4} << 20);
  EXPECT_TRUE(stats.dump_excluded);
  EXPECT_GT(stats.chunk_bytes, 0u);
  // Every chunk carved is either locked or counted as the fallback.
  EXPECT_EQ(stats.locked_bytes + stats.lock_failures * (std::size_t{64} << 10), stats.chunk_bytes);
  if (geteuid() == 0) {
    EXPECT_EQ(stats.lock_failures, 0u) << "root may always lock";
  }
  int marker = 0;
  EXPECT_FALSE(secret_memory::InArena(&marker));
}

TEST(SecretMemoryTest, ReleasedBlocksAreWipedAndReused) {
  auto* p = static_cast<std::uint8_t*>(secret_memory::Allocate(200));
  ASSERT_TRUE(secret_memory::InArena(p));
  std::memset(p, 0xA5, 200);
  secret_memory::Release(p, 200);
  // The region is never unmapped, so the block can be inspected: past the free-list link (one
  // pointer) nothing of the secret is left.
  EXPECT_TRUE(std::all_of(p + sizeof(void*), p + 200, [](std::uint8_t b) { return b == 0; }));
  auto* again = static_cast<std::uint8_t*>(secret_memory::Allocate(256));
  EXPECT_EQ(again, p) << "same size class, taken from the free list";
  secret_memory::Release(again, 256);
}

TEST(SecretMemoryTest, LargeBlocksComeFromTheHeapAndAreStillUsable) {
  SecretBytes big(std::size_t{100000});
  EXPECT_FALSE(secret_memory::InArena(big.data()));
  big.data()[99999] = 7;
  EXPECT_EQ(big.span()[99999], 7);
}

std::atomic<int> warnings_seen{0};
std::string last_warning;
void RecordWarning(const char* message) {
  ++warnings_seen;
  last_warning = message;
}

// The child's exit code: 0 when mlock was refused, the fallback counted and warned once.
int RunUnlockedChild() {
  // Without CAP_IPC_LOCK (an ordinary user) and a zero limit, every mlock fails with EPERM.
  const rlimit none{0, 0};
  if (setrlimit(RLIMIT_MEMLOCK, &none) != 0 || setgid(65534) != 0 || setuid(65534) != 0) return 10;
  const std::size_t failures_before = secret_memory::GetStats().lock_failures;
  secret_memory::SetWarningSink(&RecordWarning);
  // Fresh 64 KiB chunks: three blocks of the largest class need three new chunks.
  std::vector<SecretBytes> secrets;
  for (int i = 0; i < 3; ++i) secrets.emplace_back(std::size_t{60000});
  for (auto& s : secrets) {
    if (!secret_memory::InArena(s.data())) return 11;
    s.data()[0] = 1;  // usable though unlocked
  }
  if (secret_memory::GetStats().lock_failures < failures_before + 3) return 12;
  if (warnings_seen != 1) return 13;
  if (last_warning.find("RLIMIT_MEMLOCK 0 bytes") == std::string::npos) return 14;
  if (last_warning.find("continuing with unlocked memory") == std::string::npos) return 15;
  return 0;
}

TEST(SecretMemoryTest, RefusedLockFallsBackCountedAndWarnsOnce) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an ordinary user (CI runs as root)";
#if defined(__SANITIZE_ADDRESS__)
  // ASan intercepts mlock and succeeds without locking anything, so no refusal can be seen.
  GTEST_SKIP() << "ASan's mlock interceptor never refuses";
#endif
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(RunUnlockedChild());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 setup, 11 not in region, 12 not counted, 13-15 warning";
}

}  // namespace
}  // namespace xks
