#pragma once
// The one-writer rule of an audit chain: whoever appends to "<directory>/<prefix>-*.jsonl" holds
// an exclusive flock on "<directory>/<prefix>.lock" for as long as it writes. The proxy holds it
// while it runs; xksctl takes it to append its administrative events to the same chain when no
// proxy runs (and talks to the proxy's admin socket when one does). A second writer would fork the
// chain, which the verifier reports as forgery. The lock dies with its process, so a crash never
// leaves a stale lock behind.
// Thread safety: no shared state.

#include <chrono>
#include <string>
#include <string_view>

#include "base/problem.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace xks::audit {

/// Part of the problem text when another process holds the lock (for callers that wait and retry).
inline constexpr std::string_view kAuditChainBusy = "is being written by another process";

/// The lock file's path for `directory` and `file_prefix`.
std::string AuditLockPath(const std::string& directory, const std::string& file_prefix);

/// Creates `directory` if needed (0700) and takes the lock, waiting up to `wait` for a holder to
/// let go (0: not at all). Errors: a Problem at audit.directory naming the lock file, saying
/// whether another process holds it (then the pid it wrote, when readable) or why the file cannot
/// be opened. The returned descriptor holds the lock until it is closed.
Result<UniqueFd, Problem> LockAuditDirectory(const std::string& directory,
                                             const std::string& file_prefix,
                                             std::chrono::milliseconds wait);

}  // namespace xks::audit
