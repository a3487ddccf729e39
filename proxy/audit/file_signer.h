#pragma once
// The checkpoint signer of a `type: "file"` audit signer configuration. (A `pkcs11` signer needs
// an open HSM token, so proxy/runtime builds that one.) Thread-safe (pure factory).

#include <memory>
#include <string>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/audit/checkpoint_signer.h"
#include "proxy/config/audit_config.h"

namespace xks::audit {

/// Loads the key file of a file signer. Errors: a Problem at the key file's path (never its
/// content); for a pkcs11 signer, a Problem saying the caller must construct the HSM signer.
Result<std::unique_ptr<CheckpointSigner>, Problem> MakeFileSigner(
    const config::SignerConfig& config);

}  // namespace xks::audit
