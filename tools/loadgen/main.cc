// xks-loadgen: a load generator for XKS proxies (docs/dev/loadgen.md, --help).

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/secret_file.h"
#include "base/version.h"
#include "tools/loadgen/options.h"
#include "tools/loadgen/run.h"

namespace {

using xks::loadgen::kExitSetup;

// The secret from --secret-file (through the one secret-file reader: mode, type and size are
// checked) or $XKS_SECRET_ACCESS_KEY. Empty on failure, after saying why (never the content).
xks::SecretBytes LoadSecret(const xks::loadgen::Options& o) {
  if (!o.secret_file.empty()) {
    auto secret = xks::ReadSecretFile(o.secret_file);
    if (!secret) {
      std::cerr << "xks-loadgen: --secret-file: " << secret.error().Message() << "\n";
      return {};
    }
    return std::move(*secret);
  }
  if (const char* env = std::getenv("XKS_SECRET_ACCESS_KEY"); env != nullptr && *env != '\0') {
    return xks::SecretBytes(std::string_view(env));
  }
  std::cerr << "xks-loadgen: no secret: give --secret-file or set XKS_SECRET_ACCESS_KEY\n";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = xks::loadgen::ParseOptions(args);
  if (!parsed) {
    std::cerr << "xks-loadgen: " << parsed.error() << "\n";
    return kExitSetup;
  }
  xks::loadgen::Options options = std::move(*parsed);
  if (options.help) {
    std::cout << xks::loadgen::UsageText();
    return 0;
  }
  if (options.version) {
    std::cout << xks::VersionLine("xks-loadgen") << "\n";
    return 0;
  }
  if (options.access_key_id.empty()) {
    if (const char* env = std::getenv("XKS_ACCESS_KEY_ID"); env != nullptr) {
      options.access_key_id = env;
    }
  }
  if (options.access_key_id.empty()) {
    std::cerr << "xks-loadgen: no access key id: give --access-key-id or set XKS_ACCESS_KEY_ID\n";
    return kExitSetup;
  }
  const xks::SecretBytes secret = LoadSecret(options);
  if (secret.empty()) return kExitSetup;
  return xks::loadgen::RunLoad(options, secret, std::cout, std::cerr);
}
