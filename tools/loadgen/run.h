#pragma once
// A whole xks-loadgen run: TLS and address set-up, the start-up encrypts, the workers on their
// threads, the progress lines, the JSON result and the exit status.

#include <iosfwd>

#include "base/secret_bytes.h"
#include "tools/loadgen/options.h"

namespace xks::loadgen {

/// Exit statuses (see --help).
inline constexpr int kExitClean = 0;
inline constexpr int kExitErrors = 1;
inline constexpr int kExitSetup = 2;

/// Runs the load `options` describe, signing with `secret`. Writes the JSON result to
/// options.json_path (or `out`), the summary, progress and set-up failures to `err`. Returns an
/// exit status. Never prints the secret.
int RunLoad(const Options& options, const SecretBytes& secret, std::ostream& out,
            std::ostream& err);

}  // namespace xks::loadgen
