#pragma once
// The audit checkpoint signer that a configuration's `audit.signer` names, opened the way the
// proxy opens it: a key file, or an ECDSA P-256 key pair in an HSM token of its own. xksctl uses
// it where the operator has a configuration at hand and should not have to repeat the key's
// location (`xksctl audit public-key` without --key-file).

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "proxy/audit/checkpoint_signer.h"

namespace xks::xksctl {

/// Opens the signer in `doc["audit"]["signer"]`; relative paths resolve against `base_dir`.
/// Throws OperationError naming the field and the fix when the section is missing or unusable
/// (unknown type, unreadable key file, token or key not found). Never prints a PIN or a key.
std::unique_ptr<audit::CheckpointSigner> OpenConfiguredAuditSigner(const nlohmann::json& doc,
                                                                   const std::string& base_dir);

}  // namespace xks::xksctl
