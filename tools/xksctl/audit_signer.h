#pragma once
// The audit checkpoint signer that a configuration's `audit.signer` names, opened the way the
// proxy opens it: a key file, or an ECDSA P-256 key pair in an HSM token of its own. xksctl uses
// it where the operator has a configuration at hand and should not have to repeat the key's
// location (`xksctl audit public-key` without --key-file), to sign erasure certificates, and to
// sign the checkpoints when it appends to the chain itself (no proxy running).

#include <memory>

#include "proxy/audit/checkpoint_signer.h"
#include "tools/xksctl/config_store.h"

namespace xks::xksctl {

/// Opens the signer in the configuration's audit.signer. Throws OperationError naming the field
/// when it is unusable (unreadable key file, token or key not found). Never prints a PIN or a key.
std::unique_ptr<audit::CheckpointSigner> OpenConfiguredAuditSigner(const ConfigStore& store);

/// The same for a configuration already parsed. Errors: a Problem at audit.signer (file or token
/// unusable, key not found), never with a PIN or key material.
Result<std::unique_ptr<audit::CheckpointSigner>, Problem> OpenAuditSigner(
    const config::Config& config);

}  // namespace xks::xksctl
