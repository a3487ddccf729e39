#include "proxy/server/signals.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <vector>

namespace xks::server {
namespace {

// Runs in its own test process (gtest_discover_tests runs each TEST separately), and the signal
// is blocked in every thread before it is raised, so it can only reach the watcher.
TEST(SignalWatcherTest, RunsCallbackOnWatcherThread) {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<int> seen;
  auto watcher = SignalWatcher::Start([&](int signal_number) {
    std::lock_guard lock(mutex);
    seen.push_back(signal_number);
    cv.notify_all();
  });
  ASSERT_TRUE(watcher.ok()) << watcher.error().ToString();
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return !seen.empty(); });
  }
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return seen.size() == 2; });
    EXPECT_EQ(seen[0], SIGHUP);
    EXPECT_EQ(seen[1], SIGTERM);
  }
}

}  // namespace
}  // namespace xks::server
