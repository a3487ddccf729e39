#include "conformance/config.h"

#include <fcntl.h>

#include <map>
#include <sstream>

#include "base/file_io.h"
#include "base/system_error.h"

namespace xks::conformance {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool Truthy(const std::string& v) { return v == "1" || v == "true" || v == "yes" || v == "on"; }

// The one table tying env-file keys to fields, so the two input paths cannot drift apart. A bad
// value is a Problem at `where` (the flag or the env-file line that gave it).
Result<void, Problem> SetKey(const std::string& key, const std::string& value, Config& c,
                             const std::string& where) {
  if (key == "XKS_ENDPOINT") {
    c.endpoint = value;
  } else if (key == "XKS_URI_PREFIX") {
    c.tenant.uri_prefix = value;
  } else if (key == "XKS_ACCESS_KEY_ID") {
    c.tenant.access_key_id = value;
  } else if (key == "XKS_SECRET_ACCESS_KEY") {
    c.tenant.secret_access_key = value;
  } else if (key == "XKS_KEY_ID") {
    c.tenant.key_id = value;
  } else if (key == "XKS_REGION") {
    c.region = value;
  } else if (key == "XKS_ENCRYPT_ONLY_KEY_ID") {
    c.encrypt_only_key_id = value;
  } else if (key == "XKS_DECRYPT_ONLY_KEY_ID") {
    c.decrypt_only_key_id = value;
  } else if (key == "XKS_NO_USAGE_KEY_ID") {
    c.no_usage_key_id = value;
  } else if (key == "XKS_DISABLED_KEY_ID") {
    c.disabled_key_id = value;
  } else if (key == "XKS_TENANT2_URI_PREFIX") {
    c.tenant2.uri_prefix = value;
  } else if (key == "XKS_TENANT2_ACCESS_KEY_ID") {
    c.tenant2.access_key_id = value;
  } else if (key == "XKS_TENANT2_SECRET_ACCESS_KEY") {
    c.tenant2.secret_access_key = value;
  } else if (key == "XKS_TENANT2_KEY_ID") {
    c.tenant2.key_id = value;
  } else if (key == "XKS_CLIENT_CERT") {
    c.client_cert_file = value;
  } else if (key == "XKS_CLIENT_KEY") {
    c.client_key_file = value;
  } else if (key == "XKS_CA_FILE") {
    c.ca_file = value;
  } else if (key == "XKS_INSECURE_SKIP_VERIFY") {
    c.insecure_skip_verify = Truthy(value);
  } else if (key == "XKS_SERVER_NAME") {
    c.server_name = value;
  } else if (key == "XKS_LATENCY_SAMPLES") {
    try {
      c.latency_samples = std::stoi(value);
    } catch (...) {
      return Fail(MakeProblem(where, "not a number: " + value,
                              "give the number of fresh-connection encrypts, e.g. 10"));
    }
  }
  return {};
}

// Flag name -> env key; flags and env files share SetKey.
const std::map<std::string, std::string>& FlagKeys() {
  static const std::map<std::string, std::string> kMap = {
      {"--endpoint", "XKS_ENDPOINT"},
      {"--uri-prefix", "XKS_URI_PREFIX"},
      {"--access-key-id", "XKS_ACCESS_KEY_ID"},
      {"--secret-access-key", "XKS_SECRET_ACCESS_KEY"},
      {"--key-id", "XKS_KEY_ID"},
      {"--region", "XKS_REGION"},
      {"--encrypt-only-key-id", "XKS_ENCRYPT_ONLY_KEY_ID"},
      {"--decrypt-only-key-id", "XKS_DECRYPT_ONLY_KEY_ID"},
      {"--no-usage-key-id", "XKS_NO_USAGE_KEY_ID"},
      {"--disabled-key-id", "XKS_DISABLED_KEY_ID"},
      {"--tenant2-uri-prefix", "XKS_TENANT2_URI_PREFIX"},
      {"--tenant2-access-key-id", "XKS_TENANT2_ACCESS_KEY_ID"},
      {"--tenant2-secret-access-key", "XKS_TENANT2_SECRET_ACCESS_KEY"},
      {"--tenant2-key-id", "XKS_TENANT2_KEY_ID"},
      {"--client-cert", "XKS_CLIENT_CERT"},
      {"--client-key", "XKS_CLIENT_KEY"},
      {"--ca-file", "XKS_CA_FILE"},
      {"--server-name", "XKS_SERVER_NAME"},
      {"--latency-samples", "XKS_LATENCY_SAMPLES"},
  };
  return kMap;
}

// Sets tls, host and port from c.endpoint (and the URI prefix from a path in it, when none was
// given separately).
Result<void, Problem> ParseEndpoint(Config& c) {
  const std::string ex =
      "write https://host:port or http://host:port, e.g. https://xks.example:8443";
  if (c.endpoint.empty()) {
    return Fail(MakeProblem("--endpoint", "missing", "pass --endpoint or set XKS_ENDPOINT; " + ex));
  }
  std::string rest;
  if (c.endpoint.rfind("https://", 0) == 0) {
    c.tls = true;
    c.port = 443;
    rest = c.endpoint.substr(8);
  } else if (c.endpoint.rfind("http://", 0) == 0) {
    c.tls = false;
    c.port = 80;
    rest = c.endpoint.substr(7);
  } else {
    return Fail(
        MakeProblem("--endpoint", "must start with https:// or http://: " + c.endpoint, ex));
  }
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    if (c.tenant.uri_prefix.empty()) c.tenant.uri_prefix = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos) {
      return Fail(MakeProblem("--endpoint", "bad IPv6 endpoint: " + c.endpoint,
                              "close the address in brackets, e.g. https://[::1]:8443"));
    }
    c.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') {
      c.port = std::atoi(rest.c_str() + close + 2);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    c.host = rest.substr(0, colon);
    c.port = std::atoi(rest.c_str() + colon + 1);
  } else {
    c.host = rest;
  }
  if (c.host.empty() || c.port <= 0 || c.port > 65535) {
    return Fail(MakeProblem("--endpoint", "cannot parse host:port from " + c.endpoint,
                            ex + " (a port from 1 to 65535)"));
  }
  return {};
}

// Adds a "missing" Problem at `flag` when `value` is empty.
void Require(const std::string& value, const std::string& flag, const std::string& key,
             const std::string& what, Problems& problems) {
  if (!value.empty()) return;
  problems.push_back(MakeProblem(flag, "missing", "pass " + what + " or set " + key));
}

// Checks a parsed command line: the endpoint and every required input, all reported at once.
Problems Finish(Config& c) {
  Problems problems;
  if (auto endpoint = ParseEndpoint(c); !endpoint.ok()) problems.push_back(endpoint.error());
  c.tenant.uri_prefix = NormalizePrefix(c.tenant.uri_prefix);
  c.tenant2.uri_prefix = NormalizePrefix(c.tenant2.uri_prefix);
  Require(c.tenant.access_key_id, "--access-key-id", "XKS_ACCESS_KEY_ID", "the SigV4 access key id",
          problems);
  Require(c.tenant.secret_access_key, "--secret-access-key", "XKS_SECRET_ACCESS_KEY",
          "the SigV4 secret", problems);
  Require(c.tenant.key_id, "--key-id", "XKS_KEY_ID", "an enabled ENCRYPT+DECRYPT key id", problems);
  if (c.client_cert_file.empty() != c.client_key_file.empty()) {
    const bool no_key = c.client_key_file.empty();
    problems.push_back(MakeProblem(no_key ? "--client-key" : "--client-cert",
                                   "missing; --client-cert and --client-key go together",
                                   no_key ? "pass the client key's PEM file or set XKS_CLIENT_KEY"
                                          : "pass the client certificate's PEM file or set "
                                            "XKS_CLIENT_CERT"));
  }
  if (c.latency_samples < 1) c.latency_samples = 1;
  return problems;
}

// One flag that sets an env key, as given.
struct FlagValue {
  std::string flag;  // e.g. "--latency-samples"
  std::string key;   // e.g. "XKS_LATENCY_SAMPLES"
  std::string value;
};

// What argv says, before the env file and the flags are applied.
struct Args {
  Config config;  // --help, --version, --list, --verbose, --junit and --only set
  std::string env_file;
  std::vector<FlagValue> flags;  // in argv order; applied over the env file
};

// Splits argv into flags; the first unknown or incomplete argument stops it. --help stops it too,
// with config.help set.
Result<Args, Problem> ReadArgs(int argc, const char* const* argv) {
  Args args;
  Config& c = args.config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      c.help = true;
      return args;
    } else if (arg == "--version") {
      c.version = true;
      return args;
    } else if (arg == "--list") {
      c.list = true;
    } else if (arg == "--verbose" || arg == "-v") {
      c.verbose = true;
    } else if (arg == "--insecure-skip-verify") {
      args.flags.push_back({arg, "XKS_INSECURE_SKIP_VERIFY", "1"});
    } else if (arg == "--env-file" || arg == "--junit" || arg == "--only" ||
               FlagKeys().count(arg) != 0) {
      if (!has_value && i + 1 >= argc) {
        return Fail(
            MakeProblem(arg, "needs a value", "write " + arg + " VALUE or " + arg + "=VALUE"));
      }
      if (!has_value) value = argv[++i];
      if (arg == "--env-file") {
        args.env_file = value;
      } else if (arg == "--junit") {
        c.junit_file = value;
      } else if (arg == "--only") {
        std::stringstream ss(value);
        std::string p;
        while (std::getline(ss, p, ',')) {
          if (!p.empty()) c.only.push_back(p);
        }
      } else {
        args.flags.push_back({arg, FlagKeys().at(arg), value});
      }
    } else {
      return Fail(MakeProblem(arg, "unknown argument", "see --help for the options"));
    }
  }
  return args;
}

// Reads `path` and applies its lines. Read through base's fd helpers. The file is not checked like
// a secret file: it is the operator's own test client configuration, and its permissions were
// never checked.
Result<void, Problems> ApplyEnvFile(const std::string& path, Config& c) {
  const auto unreadable = [&](const SystemError& e) {
    return Fail(Problems{MakeProblem("--env-file", "cannot read " + path + ": " + e.Message(),
                                     "check the path and that the file is readable")});
  };
  std::string text;
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return unreadable(fd.error());
  if (auto read = ReadAll(fd->get(), text); !read.ok()) return unreadable(read.error());
  return ApplyEnvText(text, c, path);
}

}  // namespace

std::string NormalizePrefix(std::string prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const std::string suffix = "/kms/xks/v1";
  if (prefix.size() >= suffix.size() &&
      prefix.compare(prefix.size() - suffix.size(), suffix.size(), suffix) == 0) {
    prefix.erase(prefix.size() - suffix.size());
  }
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty() && prefix.front() != '/') prefix.insert(prefix.begin(), '/');
  return prefix;
}

Result<void, Problems> ApplyEnvText(const std::string& text, Config& config,
                                    const std::string& source) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  Problems problems;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = source + " line " + std::to_string(number);
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = Trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      problems.push_back(MakeProblem(where, "expected KEY=VALUE",
                                     "write KEY=VALUE (optionally after \"export \"), a comment "
                                     "starting with #, or an empty line"));
      continue;
    }
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (auto r = SetKey(key, value, config, where); !r.ok()) problems.push_back(r.error());
  }
  if (!problems.empty()) return Fail(std::move(problems));
  return {};
}

std::string Usage() {
  return R"(usage: xks-conformance [options]
Checks an AWS KMS XKS proxy endpoint against the XKS Proxy API v1 specification.

Inputs (flag, or the env-file key in parentheses; flags override the env file):
  --env-file FILE                 read KEY=VALUE lines (e.g. build/quickstart.env)
  --endpoint URL                  https://host:port or http://host:port   (XKS_ENDPOINT)
  --uri-prefix PATH               path prefix before /kms/xks/v1           (XKS_URI_PREFIX)
  --access-key-id ID              SigV4 access key id                      (XKS_ACCESS_KEY_ID)
  --secret-access-key SECRET      SigV4 secret                             (XKS_SECRET_ACCESS_KEY)
  --region REGION                 SigV4 region, default us-east-1          (XKS_REGION)
  --key-id ID                     an enabled ENCRYPT+DECRYPT key           (XKS_KEY_ID)
  --encrypt-only-key-id ID        optional                                 (XKS_ENCRYPT_ONLY_KEY_ID)
  --decrypt-only-key-id ID        optional                                 (XKS_DECRYPT_ONLY_KEY_ID)
  --no-usage-key-id ID            optional: neither ENCRYPT nor DECRYPT    (XKS_NO_USAGE_KEY_ID)
  --disabled-key-id ID            optional: a disabled key                 (XKS_DISABLED_KEY_ID)
  --tenant2-uri-prefix PATH       optional second tenant                   (XKS_TENANT2_URI_PREFIX)
  --tenant2-access-key-id ID                                               (XKS_TENANT2_ACCESS_KEY_ID)
  --tenant2-secret-access-key S                                            (XKS_TENANT2_SECRET_ACCESS_KEY)
  --tenant2-key-id ID                                                      (XKS_TENANT2_KEY_ID)
  --client-cert PEM --client-key PEM   mTLS client credentials      (XKS_CLIENT_CERT, XKS_CLIENT_KEY)
  --ca-file PEM                   trust anchors for the server certificate (XKS_CA_FILE)
  --insecure-skip-verify          do not verify the server certificate     (XKS_INSECURE_SKIP_VERIFY=1)
  --server-name NAME              SNI / certificate name override          (XKS_SERVER_NAME)
  --latency-samples N             fresh-connection encrypts, default 10    (XKS_LATENCY_SAMPLES)
Output and selection:
  --junit FILE                    also write a JUnit XML report
  --only PATTERN[,PATTERN]        run matching case ids (glob with *, or an id prefix)
  --list                          print the case catalogue and exit
  --verbose, -v                   print expectation and observation for passing cases too
  --version                       print the version and exit
  --help, -h                      print this help and exit
Exit status: 0 when every required (MUST) case passes, 1 otherwise, 2 on usage errors.
)";
}

Result<Config, Problems> ParseCommandLine(int argc, const char* const* argv) {
  auto args = ReadArgs(argc, argv);
  if (!args.ok()) return Fail(Problems{std::move(args).error()});
  Config c = std::move(args->config);
  if (c.help || c.version) return c;
  if (!args->env_file.empty()) {
    if (auto r = ApplyEnvFile(args->env_file, c); !r.ok()) return Fail(std::move(r).error());
  }
  Problems problems;
  for (const FlagValue& f : args->flags) {
    if (auto r = SetKey(f.key, f.value, c, f.flag); !r.ok()) problems.push_back(r.error());
  }
  if (!c.list) {  // listing needs no endpoint
    Problems unfinished = Finish(c);
    problems.insert(problems.end(), unfinished.begin(), unfinished.end());
  }
  if (!problems.empty()) return Fail(std::move(problems));
  return c;
}

}  // namespace xks::conformance
