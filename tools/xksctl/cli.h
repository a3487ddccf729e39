#pragma once
// What every xksctl command shares: the command table entry, the run context (global options,
// output streams), the operation-failure exception and the output helpers.
//
// Error model: command code throws OperationError (exit 1) or UsageError (exit 2); main catches
// both, prints one "xksctl: error: ..." line (and, with --json, {"ok":false,"error":...} on stdout)
// and exits with the code. Messages never contain a secret or a PIN.

#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/xksctl/arg_parser.h"

namespace xks::xksctl {

/// Exit codes (docs/xksctl.md, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

/// An operation that could not be done (HSM error, invalid resulting config, I/O). Exit code 1.
class OperationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Global options and output streams of one invocation. Not thread-safe (one per process/test).
struct Context {
  std::string config_path;  ///< --config, else $XKS_CONFIG; may be empty
  std::string pid_file;     ///< --pid-file, else $XKS_PID_FILE; empty: no reload signal
  bool json = false;        ///< --json: one JSON object on stdout
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;

  /// The configuration path; throws UsageError when neither --config nor XKS_CONFIG was given.
  const std::string& RequireConfigPath() const;
};

/// One command: `xksctl <group> <name> ...`.
struct Command {
  std::string group;     ///< "key"
  std::string name;      ///< "create"; empty for group-less commands like "health"
  std::string synopsis;  ///< "TENANT EXTERNAL_KEY_ID [--usage U]"
  std::string description;
  std::vector<OptionSpec> options;  ///< command options (the global ones are added by main)
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
  std::function<int(Context&, const ParsedArgs&)> run;
  /// Pass every argument after the command words, unparsed, as positionals (commands that
  /// forward to another CLI with its own options, e.g. `audit verify`).
  bool raw_args = false;
};

/// The global options every command accepts.
std::vector<OptionSpec> GlobalOptions();

/// Prints a successful result: `data` (plus "ok": true) as one JSON line with --json, else `text`
/// (which should end with a newline). Returns kExitOk.
int Emit(Context& ctx, nlohmann::json data, const std::string& text);

class ConfigStore;

/// Has the running proxy apply the configuration just saved: through its admin socket
/// (audit.admin_socket of `store`'s configuration) when it answers there, which records the
/// change in its audit chain and says whether the reload was applied; else, when no proxy writes
/// the chain, the change is recorded in the chain here (the events a reload would have recorded),
/// and SIGHUP goes to the process in ctx.pid_file if one is given. Without `store` only the
/// SIGHUP. Returns a JSON description ({"reloaded": true, "via": "admin socket"},
/// {"signalled": pid}, {"skipped": true}; "audit" says what was recorded here); throws
/// OperationError when the proxy refused the reload, the pid file is unreadable or the process
/// does not exist.
nlohmann::json SignalReload(const Context& ctx, const ConfigStore* store = nullptr);

/// RFC 3339 UTC timestamp with second precision, e.g. "2026-11-27T21:16:38Z".
std::string NowUtc();

/// Asks for typed confirmation on the terminal: prints `prompt` to stderr and reads one line from
/// /dev/tty. Returns the line (without newline), or throws OperationError when there is no TTY.
std::string ReadConfirmationFromTty(const std::string& prompt);

}  // namespace xks::xksctl
