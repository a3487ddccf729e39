#include "base/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>

#include "base/file_io.h"
#include "base/unique_fd.h"

namespace xks {
namespace {

using Kind = SecretFileErrorKind;

SecretFileError MakeError(Kind kind, const std::string& path, int sys_errno = 0) {
  return SecretFileError{kind, path, sys_errno, 0};
}

// Opens and checks on the descriptor: what fstat sees is what read() will return.
Result<UniqueFd, SecretFileError> OpenChecked(const std::string& path,
                                              const SecretFileOptions& options) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; it is refused as
  // not regular just below. It has no effect on regular files.
  int flags = O_RDONLY | O_NOCTTY | O_NONBLOCK;
  if (!options.follow_symlinks) flags |= O_NOFOLLOW;
  auto fd = OpenFile(path, flags);
  if (!fd.ok()) {
    const int e = fd.error().sys_errno;
    if (e == ENOENT || e == ENOTDIR) return Fail(MakeError(Kind::kMissing, path, e));
    if (e == ELOOP && !options.follow_symlinks) return Fail(MakeError(Kind::kSymlink, path, e));
    return Fail(MakeError(Kind::kIo, path, e));
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return Fail(MakeError(Kind::kIo, path, errno));
  if (!S_ISREG(st.st_mode)) return Fail(MakeError(Kind::kNotRegular, path));
  if ((st.st_mode & 077) != 0) {
    SecretFileError error = MakeError(Kind::kAccessibleByOthers, path);
    error.mode = st.st_mode & 07777;
    return Fail(std::move(error));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > options.max_bytes) {
    return Fail(MakeError(Kind::kTooLarge, path));
  }
  return std::move(fd).value();
}

void StripOneLineEnd(SecretBytes& secret) {
  std::size_t n = secret.size();
  if (n > 0 && secret.data()[n - 1] == '\n') --n;
  if (n > 0 && secret.data()[n - 1] == '\r') --n;
  secret.Truncate(n);
}

}  // namespace

std::string SecretFileError::OctalMode() const {
  char digits[8];
  std::snprintf(digits, sizeof digits, "%03o", static_cast<unsigned>(mode & 07777));
  return digits;
}

std::string SecretFileError::Message() const {
  switch (kind) {
    case Kind::kMissing:
      return path + " does not exist";
    case Kind::kSymlink:
      return path + " is a symbolic link, which is not allowed here";
    case Kind::kNotRegular:
      return path + " is not a regular file";
    case Kind::kAccessibleByOthers:
      return path + " is accessible by group or others (mode " + OctalMode() + "); run chmod 600 " +
             path;
    case Kind::kTooLarge:
      return path + " is too large";
    case Kind::kEmpty:
      return path + " is empty";
    case Kind::kIo:
      break;
  }
  return path + ": " + SystemError{"cannot read", sys_errno}.Message();
}

Result<SecretBytes, SecretFileError> ReadSecretFile(const std::string& path,
                                                    const SecretFileOptions& options) {
  auto fd = OpenChecked(path, options);
  if (!fd.ok()) return Fail(std::move(fd).error());
  SecretBytes secret;
  // The size was checked by fstat, but a file can grow after it; ReadAll's cap catches that.
  if (auto r = ReadAll(fd->get(), secret, options.max_bytes); !r.ok()) {
    if (r.error().sys_errno == EFBIG) return Fail(MakeError(Kind::kTooLarge, path));
    return Fail(MakeError(Kind::kIo, path, r.error().sys_errno));
  }
  if (options.strip_trailing_newline) StripOneLineEnd(secret);
  if (secret.empty() && !options.allow_empty) return Fail(MakeError(Kind::kEmpty, path));
  return secret;
}

Result<void, SecretFileError> CheckSecretFile(const std::string& path,
                                              const SecretFileOptions& options) {
  auto fd = OpenChecked(path, options);
  if (!fd.ok()) return Fail(std::move(fd).error());
  return {};
}

Result<void, SystemError> WriteNewSecretFile(const std::string& path,
                                             std::span<const std::uint8_t> content, mode_t mode) {
  auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!fd.ok()) return Fail(SystemError{"create", fd.error().sys_errno});
  auto written = [&]() -> Result<void, SystemError> {
    // The umask may have removed bits (never added any); make the mode exact anyway.
    if (::fchmod(fd->get(), mode) != 0) return Fail(SystemError{"fchmod", errno});
    if (auto w = WriteAll(fd->get(), content); !w.ok()) return w;
    return SyncAndClose(std::move(fd).value());
  }();
  if (!written.ok()) ::unlink(path.c_str());
  return written;
}

}  // namespace xks
