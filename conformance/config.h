#pragma once
// Runner configuration: which endpoint to check, with which credentials and keys. Built from an env
// file and/or command-line flags (flags win). See docs/conformance.md for every key.

#include <string>
#include <vector>

#include "base/problem.h"
#include "base/result.h"

namespace xks::conformance {

/// One SigV4 credential set bound to one URI path prefix (a "tenant").
struct TenantConfig {
  std::string uri_prefix;  // e.g. "/tenant-a" ("" allowed); never ends with "/kms/xks/v1"
  std::string access_key_id;
  std::string secret_access_key;
  std::string key_id;
};

/// Everything the runner needs. Plain data; not thread-safe to mutate while running.
struct Config {
  std::string endpoint;  // "https://host:port" or "http://host:port"
  std::string host;      // parsed from endpoint
  int port = 443;
  bool tls = true;
  std::string region = "us-east-1";
  TenantConfig tenant;  // required
  std::string encrypt_only_key_id;
  std::string decrypt_only_key_id;
  std::string no_usage_key_id;
  std::string disabled_key_id;
  TenantConfig tenant2;  // optional; enabled when uri_prefix+credentials+key_id are set
  std::string client_cert_file;
  std::string client_key_file;
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string server_name;
  int latency_samples = 10;
  int keepalive_requests = 20;

  // Output and selection (flags only).
  std::string junit_file;
  std::vector<std::string> only;  // patterns; empty means all
  bool list = false;
  bool verbose = false;
  bool help = false;     // --help: print Usage() and exit 0; nothing else is parsed or checked
  bool version = false;  // --version: likewise, print the version line

  /// True when a second tenant is fully configured.
  bool HasTenant2() const {
    return !tenant2.access_key_id.empty() && !tenant2.secret_access_key.empty() &&
           !tenant2.key_id.empty();
  }
};

/// Removes a trailing "/", and a trailing "/kms/xks/v1", from a configured prefix.
std::string NormalizePrefix(std::string prefix);

/// Applies KEY=VALUE lines (comments '#', optional "export ", optional quotes) to `config`.
/// Unknown keys are ignored so one env file can serve several tools. Every bad line is a Problem
/// at "<source> line <n>"; the good lines are applied all the same.
Result<void, Problems> ApplyEnvText(const std::string& text, Config& config,
                                    const std::string& source = "env file");

/// Parses argv (including --env-file, applied first) and validates the result (endpoint scheme,
/// required fields). `--help` is not a failure: it gives a Config with `help` set. A failure is
/// the list of Problems, each at the option or env-file line it is about, with a fix; a bad
/// argument stops parsing, the checks of the parsed inputs are all reported together.
Result<Config, Problems> ParseCommandLine(int argc, const char* const* argv);

/// Usage text for --help.
std::string Usage();

}  // namespace xks::conformance
