#pragma once
// A small command-line parser for xksctl: long options ("--name value", "--name=value", flags),
// positionals, and generated help. Parsing errors throw UsageError (exit code 2), caught in main.

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xks::xksctl {

/// A command-line mistake: unknown option, missing value, wrong number of arguments. Exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One accepted option. `value_name` empty means a flag without a value.
struct OptionSpec {
  std::string name;        ///< without the leading "--"
  std::string value_name;  ///< e.g. "FILE"; empty for flags
  std::string help;
};

/// The result of parsing: positionals in order, options by name (the last occurrence wins).
class ParsedArgs {
 public:
  /// Positional argument `i` (0-based); aborts on an out-of-range index (the command declared its
  /// positional count, so the parser already refused too few).
  const std::string& Positional(std::size_t i) const { return positionals_.at(i); }
  std::size_t PositionalCount() const { return positionals_.size(); }
  /// True when the option was given (flag or valued).
  bool Has(const std::string& name) const { return options_.count(name) != 0; }
  /// The option's value, if given.
  std::optional<std::string> Get(const std::string& name) const;
  /// The option's value or `fallback`.
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  /// The option's value; throws UsageError "--name is required" when absent.
  std::string Require(const std::string& name) const;
  /// Every value the option was given, in order (for repeatable options such as --field).
  std::vector<std::string> GetAll(const std::string& name) const;

  std::vector<std::string> positionals_;
  std::map<std::string, std::string> options_;
  std::map<std::string, std::vector<std::string>> all_values_;
};

/// Parses `args` (without the program and command words) against `specs`. "--" ends options.
/// Throws UsageError for unknown options, a missing value, a value given to a flag, or a positional
/// count outside [min_positional, max_positional].
ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                     std::size_t min_positional, std::size_t max_positional);

/// Help text for `specs`, one option per line, aligned.
std::string FormatOptions(const std::vector<OptionSpec>& specs);

}  // namespace xks::xksctl
