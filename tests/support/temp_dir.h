#pragma once
// Temporary directories and files for tests that start HSM modules.

#include <string>
#include <string_view>

namespace xks::testing {

/// Creates a fresh directory <base>/<prefix>-XXXXXX (mode 0700) and returns its path, or "" on
/// failure. The base is $XKS_TEST_TMPDIR, else /dev/shm when writable, else $TMPDIR, else /tmp:
/// software tokens rewrite their files on every object change, which is fast only on tmpfs.
std::string MakeTempTestDir(std::string_view prefix);

/// Writes `content` to `path` with exactly `mode` (whatever the umask). False on failure.
bool WriteWholeFile(const std::string& path, std::string_view content, unsigned mode);

}  // namespace xks::testing
