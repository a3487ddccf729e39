#pragma once
// The few file operations the audit writer performs, behind an interface so tests can inject
// ENOSPC/EIO deterministically. Every call returns >= 0 on success or -errno on failure (no
// global errno contract), and retries EINTR itself.
// Thread safety: PosixFileOps is stateless and thread-safe; test doubles document their own.

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace xks::audit {

class FileOps {
 public:
  virtual ~FileOps() = default;
  /// open(2). Returns the fd or -errno.
  virtual int Open(const std::string& path, int flags, mode_t mode) = 0;
  /// One write(2) call (may be short). Returns bytes written or -errno.
  virtual ssize_t Write(int fd, const void* data, std::size_t size) = 0;
  /// fdatasync(2). Returns 0 or -errno.
  virtual int Fdatasync(int fd) = 0;
  /// fsync(2) (used for directories after creating a file). Returns 0 or -errno.
  virtual int Fsync(int fd) = 0;
  /// ftruncate(2). Returns 0 or -errno.
  virtual int Ftruncate(int fd, off_t length) = 0;
  /// close(2). Returns 0 or -errno.
  virtual int Close(int fd) = 0;
};

/// The real thing.
class PosixFileOps : public FileOps {
 public:
  int Open(const std::string& path, int flags, mode_t mode) override;
  ssize_t Write(int fd, const void* data, std::size_t size) override;
  int Fdatasync(int fd) override;
  int Fsync(int fd) override;
  int Ftruncate(int fd, off_t length) override;
  int Close(int fd) override;
};

/// Writes all of `size` bytes, looping over short writes. Returns 0 or -errno (some bytes may
/// have been written on failure).
int WriteAll(FileOps& ops, int fd, const void* data, std::size_t size);

}  // namespace xks::audit
