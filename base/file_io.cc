#include "base/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xks {
namespace {

SystemError Errno(std::string what) { return SystemError{std::move(what), errno}; }

// read(2) retrying EINTR. Returns the count, 0 at end of file, or -1 with errno set.
ssize_t ReadSome(int fd, std::uint8_t* data, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

std::string DirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<UniqueFd, SystemError> OpenFile(const std::string& path, int flags, mode_t mode) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return Fail(Errno("open"));
  }
}

Result<void, SystemError> ReadAll(int fd, std::string& out, std::size_t max_bytes) {
  std::size_t read_so_far = 0;
  for (;;) {
    const std::size_t start = out.size();
    // One byte past the cap tells "exactly max_bytes" from "more".
    const std::size_t chunk = std::min<std::size_t>(65536, max_bytes - read_so_far) + 1;
    out.resize(start + chunk);
    const ssize_t n = ReadSome(fd, reinterpret_cast<std::uint8_t*>(out.data()) + start, chunk);
    out.resize(start + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n < 0) return Fail(Errno("read"));
    if (n == 0) return {};
    read_so_far += static_cast<std::size_t>(n);
    if (read_so_far > max_bytes) return Fail(SystemError{"too large", EFBIG});
  }
}

Result<void, SystemError> ReadAll(int fd, SecretBytes& out, std::size_t max_bytes) {
  std::size_t used = out.size();
  const std::size_t limit = used + std::min(max_bytes, kNoSizeLimit - used - 1) + 1;
  // Reading one byte past the cap tells "exactly max_bytes" from "more than max_bytes".
  SecretBytes buffer(std::min(limit, used + 4096));
  if (used > 0) std::memcpy(buffer.data(), out.data(), used);
  for (;;) {
    if (used == buffer.size()) {
      if (buffer.size() == limit) break;
      SecretBytes bigger(std::min(limit, buffer.size() * 2));
      std::memcpy(bigger.data(), buffer.data(), used);
      buffer = std::move(bigger);  // the old buffer is wiped as it is freed
    }
    const ssize_t n = ReadSome(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0) return Fail(Errno("read"));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  buffer.Truncate(used);
  out = std::move(buffer);
  if (used == limit) return Fail(SystemError{"too large", EFBIG});
  return {};
}

Result<void, SystemError> WriteAll(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(Errno("write"));
    // A descriptor that accepts nothing would make this loop spin forever.
    if (n == 0) return Fail(SystemError{"write", EIO});
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void, SystemError> WriteAll(int fd, std::string_view bytes) {
  return WriteAll(fd, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

Result<void, SystemError> SyncAndClose(UniqueFd fd) {
  const int sync_errno = ::fsync(fd.get()) == 0 ? 0 : errno;
  const int close_errno = fd.Close();
  if (sync_errno != 0) return Fail(SystemError{"fsync", sync_errno});
  if (close_errno != 0) return Fail(SystemError{"close", close_errno});
  return {};
}

Result<void, SystemError> SyncParentDirectory(const std::string& path) {
  auto dir = OpenFile(DirectoryOf(path), O_RDONLY | O_DIRECTORY);
  if (!dir.ok()) return Fail(SystemError{"open directory", dir.error().sys_errno});
  if (::fsync(dir->get()) != 0) return Fail(Errno(std::string(kSyncDirectoryStep)));
  return {};
}

Result<void, SystemError> WriteFileAtomic(const std::string& path, std::string_view bytes,
                                          mode_t mode, std::optional<FileOwner> owner) {
  std::string temp = path + ".tmp.XXXXXX";
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) return Fail(Errno("create temporary file"));
  auto written = [&]() -> Result<void, SystemError> {
    if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
      return Fail(Errno("fchown temporary file"));
    }
    // After fchown, which clears set-id bits: the mode asked for is the mode the file gets.
    if (::fchmod(fd.get(), mode) != 0) return Fail(Errno("fchmod temporary file"));
    if (auto w = WriteAll(fd.get(), bytes); !w.ok()) return w;
    if (auto s = SyncAndClose(std::move(fd)); !s.ok()) return s;
    if (::rename(temp.c_str(), path.c_str()) != 0) return Fail(Errno("rename"));
    return {};
  }();
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  return SyncParentDirectory(path);
}

}  // namespace xks
