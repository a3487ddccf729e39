#pragma once
// xks-loadgen's command line: what to load, how hard and for how long (--help lists it all).
// Parsing is pure (no files, no environment) so tests can drive it; main() then reads the secret.
// Thread safety: plain values.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "tools/loadgen/mix.h"

namespace xks::loadgen {

/// Where the proxy is: https://HOST[:PORT][/PREFIX]. `prefix` has no trailing slash ("" or "/t").
struct TargetUrl {
  std::string host;  // without IPv6 brackets
  std::string port = "443";
  std::string prefix;
  /// The Host header value: host (bracketed if IPv6) and ":port" unless 443.
  std::string HostHeader() const;
};

/// Parses --url. Only https (the XKS API is TLS only).
Result<TargetUrl, std::string> ParseTargetUrl(const std::string& url);

/// A duration such as "30", "30s", "500ms", "5m" or "1h" (a bare number is seconds).
Result<std::chrono::milliseconds, std::string> ParseDuration(const std::string& text);

struct Options {
  std::string url;
  TargetUrl target;
  std::string key_id;
  std::string access_key_id;  // --access-key-id or $XKS_ACCESS_KEY_ID (filled by main)
  std::string secret_file;    // --secret-file; else $XKS_SECRET_ACCESS_KEY (read by main)
  std::string region = "us-east-1";
  std::string ca_file;
  bool insecure = false;
  int connections = 16;
  std::optional<double> rate;  // requests/s in total: open loop; closed loop when absent
  std::chrono::milliseconds duration{10000};
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds timeout{10000};
  Mix mix;
  std::size_t plaintext_bytes = 32;
  std::size_t aad_bytes = 200;
  std::string json_path;  // "" or "-": stdout
  bool progress = false;
  int threads = 1;
  bool help = false;
  bool version = false;  // --version: print the version line and exit
};

/// The --help text.
std::string UsageText();

/// Parses the arguments after the program name ("--name value" or "--name=value"). Everything but
/// the secret and the access key id's environment fallback is checked here; the error names the
/// option at fault. With --help, returns at once with `help` set.
Result<Options, std::string> ParseOptions(const std::vector<std::string>& args);

}  // namespace xks::loadgen
