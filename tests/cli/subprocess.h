#pragma once
// Running the project's binaries (and openssl, curl) as subprocesses, as an operator would.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace xks::testing {

struct ProcessResult {
  int code = -1;  ///< exit code, or 128 + signal
  std::string out;
  std::string err;
  /// stdout parsed as JSON (discarded value when it is not JSON).
  nlohmann::json Json() const { return nlohmann::json::parse(out, nullptr, false); }
};

/// The whole file ("" when it cannot be read).
std::string ReadFile(const std::string& path);

/// Runs `argv` (argv[0] an absolute path, else searched in PATH) to completion with stdin from
/// /dev/null and in a new session (no controlling terminal, so nothing can prompt). stdout and
/// stderr are captured through files in `scratch_dir`.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& scratch_dir);

/// Starts `argv` in the background with stdout and stderr appended to `log_file`; returns its pid
/// (-1 on failure).
pid_t StartProcess(const std::vector<std::string>& argv, const std::string& log_file);

/// Sends SIGTERM to `pid` and waits for it; returns its exit code (or 128 + signal).
int StopProcess(pid_t pid);

}  // namespace xks::testing
