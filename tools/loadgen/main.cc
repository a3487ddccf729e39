// xks-loadgen: a load generator for XKS proxies (docs/dev/loadgen.md, --help).

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/version.h"
#include "tools/loadgen/options.h"
#include "tools/loadgen/run.h"
#include "tools/loadgen/secret.h"

namespace {

using xks::loadgen::kExitSetup;

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
  auto secret = xks::loadgen::LoadSecret(options);
  if (!secret.ok()) {
    std::cerr << "xks-loadgen: " << secret.error() << "\n";
    return kExitSetup;
  }
  return xks::loadgen::RunLoad(options, *secret, std::cout, std::cerr);
}
