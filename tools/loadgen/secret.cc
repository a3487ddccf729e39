#include "tools/loadgen/secret.h"

#include <cstdlib>

#include "base/secret_file.h"

namespace xks::loadgen {

Result<SecretBytes, std::string> LoadSecret(const Options& options) {
  if (!options.secret_file.empty()) {
    auto secret = ReadSecretFile(options.secret_file);
    if (!secret) return Fail("--secret-file: " + secret.error().Message());
    return std::move(secret).value();
  }
  if (const char* env = std::getenv("XKS_SECRET_ACCESS_KEY"); env != nullptr && *env != '\0') {
    return SecretBytes(std::string_view(env));
  }
  return Fail(std::string("no secret: give --secret-file or set XKS_SECRET_ACCESS_KEY"));
}

}  // namespace xks::loadgen
