#pragma once
// THE reader of files that hold secrets (PINs, SigV4 secret keys, signing keys), and the writer of
// new ones. Every check runs on the descriptor that is read, so the file cannot be swapped
// between the check and the read: a regular file, no group/other permission bits, no symlink
// unless the caller asks for one, a size cap. The content goes straight into SecretBytes.
// Errors carry a kind, so each caller words its own message; they never carry the content.
// Thread safety: no shared state.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"
#include "base/secret_bytes.h"
#include "base/system_error.h"

namespace xks {

struct SecretFileOptions {
  /// Largest accepted file, before stripping the line end.
  std::size_t max_bytes = 4096;
  /// Kubernetes mounts secrets as symlinks; callers that accept them say so. When false the
  /// path's last component must not be a symlink (O_NOFOLLOW).
  bool follow_symlinks = false;
  /// Removes one trailing "\n", then one trailing "\r" (so "\r\n" goes, an inner "\n" stays).
  bool strip_trailing_newline = true;
  /// When false an empty content (after stripping) is an error.
  bool allow_empty = false;
};

enum class SecretFileErrorKind {
  kMissing,             // no such file (ENOENT, ENOTDIR)
  kSymlink,             // a symlink where none is allowed
  kNotRegular,          // a directory, FIFO, device, socket …
  kAccessibleByOthers,  // mode & 077 != 0; `mode` holds the permission bits
  kTooLarge,            // more than max_bytes
  kEmpty,               // empty after stripping, and allow_empty is false
  kIo,                  // any other failure; `sys_errno` says which
};

struct SecretFileError {
  SecretFileErrorKind kind = SecretFileErrorKind::kIo;
  std::string path;
  int sys_errno = 0;  // for kIo (and kMissing)
  mode_t mode = 0;    // permission bits (mode & 07777) for kAccessibleByOthers

  /// The permission bits as three or four octal digits, e.g. "640" (for messages).
  std::string OctalMode() const;
  /// A generic message naming the path (never the content), e.g. for logs and tests. Callers
  /// with pinned wording build their own from `kind`.
  std::string Message() const;
};

/// Reads the secret in `path` under `options` (see above). EINTR is retried.
Result<SecretBytes, SecretFileError> ReadSecretFile(const std::string& path,
                                                    const SecretFileOptions& options = {});

/// The same checks without reading the content (for files another component reads later, such
/// as a TLS private key OpenSSL loads): opens `path`, checks type, mode and size on the
/// descriptor. `allow_empty` and `strip_trailing_newline` do not apply.
Result<void, SecretFileError> CheckSecretFile(const std::string& path,
                                              const SecretFileOptions& options = {});

/// Creates `path`, which must not exist (O_CREAT|O_EXCL|O_NOFOLLOW, so neither an existing file
/// nor a planted symlink is ever written through), sets exactly `mode`, writes `content`, fsyncs
/// and closes (both checked). On any failure after creating it the file is removed.
/// Errors: what = "create" (sys_errno EEXIST when the file exists), "fchmod", "write", "fsync",
/// "close".
Result<void, SystemError> WriteNewSecretFile(const std::string& path,
                                             std::span<const std::uint8_t> content,
                                             mode_t mode = 0600);

}  // namespace xks
