#include "proxy/audit/file_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace xks::audit {

int PosixFileOps::Open(const std::string& path, int flags, mode_t mode) {
  for (;;) {
    int fd = ::open(path.c_str(), flags, mode);
    if (fd >= 0) return fd;
    if (errno != EINTR) return -errno;
  }
}

ssize_t PosixFileOps::Write(int fd, const void* data, std::size_t size) {
  for (;;) {
    ssize_t n = ::write(fd, data, size);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

int PosixFileOps::Fdatasync(int fd) { return ::fdatasync(fd) == 0 ? 0 : -errno; }

int PosixFileOps::Fsync(int fd) { return ::fsync(fd) == 0 ? 0 : -errno; }

int PosixFileOps::Ftruncate(int fd, off_t length) {
  for (;;) {
    if (::ftruncate(fd, length) == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

// close(2) must not be retried on EINTR on Linux: the descriptor is already released.
int PosixFileOps::Close(int fd) { return ::close(fd) == 0 ? 0 : -errno; }

int WriteAll(FileOps& ops, int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ops.Write(fd, p, size);
    if (n < 0) return static_cast<int>(n);
    if (n == 0) return -EIO;  // a regular file that accepts nothing would loop forever
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace xks::audit
