#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace xks::testing {
namespace {

// SoftHSM rewrites token files on every object change; on a disk shared with busy builds that costs
// up to ~100 ms per key import, on tmpfs well under 1 ms.
std::string BaseDir() {
  if (const char* v = std::getenv("XKS_TEST_TMPDIR"); v != nullptr && *v != '\0') return v;
  if (access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  if (const char* v = std::getenv("TMPDIR"); v != nullptr && *v != '\0') return v;
  return "/tmp";
}

}  // namespace

std::string MakeTempTestDir(std::string_view prefix) {
  std::string pattern = BaseDir() + "/" + std::string(prefix) + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

bool WriteWholeFile(const std::string& path, std::string_view content, unsigned mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = (fchmod(fd, mode) == 0) && ok;  // umask must not weaken or strengthen the test's mode
  return (close(fd) == 0) && ok;
}

}  // namespace xks::testing
