#pragma once
// xks-loadgen's SigV4 secret: from --secret-file, through the one secret-file reader
// (base/secret_file.h: a regular file only its owner may read, no symlink, a size cap), or from
// $XKS_SECRET_ACCESS_KEY. Thread safety: reads the environment; call from main.

#include <string>

#include "base/result.h"
#include "base/secret_bytes.h"
#include "tools/loadgen/options.h"

namespace xks::loadgen {

/// The secret, or the reason there is none (naming the file, never its content).
Result<SecretBytes, std::string> LoadSecret(const Options& options);

}  // namespace xks::loadgen
