#include "proxy/audit/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>

namespace xks::audit {
namespace {

// Polling rather than a blocking flock: a blocking call cannot honour the deadline.
constexpr std::chrono::milliseconds kLockPoll{20};

std::string HolderPid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string_view text(buf, static_cast<std::size_t>(n));
  const auto end = text.find_first_not_of("0123456789");
  return std::string(text.substr(0, end));
}

void WriteOwnPid(int fd) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  // Informational only (named in the message a second writer gets): failures do not matter.
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
}

}  // namespace

std::string AuditLockPath(const std::string& directory, const std::string& file_prefix) {
  return directory + "/" + file_prefix + ".lock";
}

Result<UniqueFd, Problem> LockAuditDirectory(const std::string& directory,
                                             const std::string& file_prefix,
                                             std::chrono::milliseconds wait) {
  std::error_code ec;
  if (std::filesystem::create_directories(directory, ec); ec) {
    return Fail(MakeProblem("audit.directory", "cannot create " + directory + ": " + ec.message(),
                            "check the path and the permissions of its parent"));
  }
  const std::string path = AuditLockPath(directory, file_prefix);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    return Fail(MakeProblem("audit.directory",
                            "cannot open the lock file " + path + ": " + std::strerror(errno),
                            "the directory must be writable by the proxy's user"));
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      return Fail(
          MakeProblem("audit.directory", "cannot lock " + path + ": " + std::strerror(errno)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string pid = HolderPid(fd.get());
      return Fail(MakeProblem(
          "audit.directory",
          "the audit chain in " + directory + " " + std::string(kAuditChainBusy) +
              (pid.empty() ? "" : " (pid " + pid + ")") + " (lock " + path + ")",
          "one writer per chain: give each proxy instance its own audit.directory; xksctl "
          "reaches a running proxy through its admin socket"));
    }
    std::this_thread::sleep_for(kLockPoll);
  }
  WriteOwnPid(fd.get());
  return fd;
}

}  // namespace xks::audit
