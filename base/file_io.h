#pragma once
// Reading and writing whole files through descriptors, the way Linux needs it: EINTR retried,
// short reads and writes looped, write()==0 treated as an error (it would loop forever), fsync and
// close both checked. Errors are SystemError values naming the failed step, never the data.
// Thread safety: the functions share no state; concurrent calls on one descriptor are the
// caller's problem, as with read(2) and write(2).

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/secret_bytes.h"
#include "base/system_error.h"
#include "base/unique_fd.h"

namespace xks {

inline constexpr std::size_t kNoSizeLimit = std::numeric_limits<std::size_t>::max();

/// open(2) with O_CLOEXEC added, retrying EINTR. Error: what = "open".
Result<UniqueFd, SystemError> OpenFile(const std::string& path, int flags, mode_t mode = 0);

/// Appends everything readable from `fd` up to end of file to `out`. Fails with sys_errno EFBIG
/// (what = "too large") once more than `max_bytes` bytes were read, or with what = "read".
Result<void, SystemError> ReadAll(int fd, std::string& out, std::size_t max_bytes = kNoSizeLimit);
/// The same into a zeroizing buffer: the bytes go straight from the kernel into `out` (growth
/// copies into a new SecretBytes; the old one is wiped), so no unwiped copy is left behind.
Result<void, SystemError> ReadAll(int fd, SecretBytes& out, std::size_t max_bytes = kNoSizeLimit);

/// Writes all of `bytes`. Error: what = "write" (write()==0 reports EIO). Some bytes may have been
/// written on failure.
Result<void, SystemError> WriteAll(int fd, std::span<const std::uint8_t> bytes);
Result<void, SystemError> WriteAll(int fd, std::string_view bytes);

/// fsync(2) then close(2), both checked. The descriptor is closed even when fsync fails (the
/// fsync error is then the one reported). Error: what = "fsync" or "close".
Result<void, SystemError> SyncAndClose(UniqueFd fd);

/// fsyncs the directory holding `path`, which makes a create or rename of `path` durable.
/// Error: what = "open directory" or "fsync directory".
Result<void, SystemError> SyncParentDirectory(const std::string& path);

/// The `what` of SyncParentDirectory's fsync failure (WriteFileAtomic reports it after the rename).
inline constexpr std::string_view kSyncDirectoryStep = "fsync directory";

/// Replaces `path` with `bytes` so a reader sees the old file or the new one, never a mix: a
/// temporary file in the same directory (created with `mode`, then fchmod to exactly `mode`),
/// written, fsynced, renamed over `path`, then the directory fsynced. On any failure before the
/// rename the temporary file is removed and `path` is unchanged; a failure to sync the directory
/// afterwards is reported with what = kSyncDirectoryStep (the new file is then already in place).
/// With `owner`, the temporary file is given that owner and group before the rename (what =
/// "fchown temporary file" when that is not permitted), so replacing a file never changes who
/// owns it.
struct FileOwner {
  uid_t uid = 0;
  gid_t gid = 0;
};
Result<void, SystemError> WriteFileAtomic(const std::string& path, std::string_view bytes,
                                          mode_t mode,
                                          std::optional<FileOwner> owner = std::nullopt);

}  // namespace xks
