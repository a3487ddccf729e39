#pragma once
// Crypto-shredding (`tenant shred`, `key shred`) and the evidence it leaves: canary ciphertexts
// made before destruction that must no longer decrypt, an erasure certificate signed with the
// audit signing key, and an admin record in the proxy's own signed audit chain.

#include <nlohmann/json.hpp>
#include <string>

#include "proxy/config/config.h"
#include "tools/xksctl/cli.h"

namespace xks::xksctl {

/// Confirms the destruction of `name` (a tenant or key id): --yes-destroy must equal `name`, or,
/// without it, `name` must be typed on the terminal. Throws OperationError "refused: ..." (exit 1)
/// on a mismatch or when there is no terminal.
void ConfirmDestroy(const ParsedArgs& args, const std::string& name, const std::string& what);

/// `tenant shred NAME`: on every member of the tenant's fleet. Throws OperationError when the
/// tenant does not exist (or was already shredded), on a refused confirmation, or when a member
/// is unreachable or any key survives (the certificate then says "complete": false, the tenant
/// stays configured, disabled, with the members not done, and the same command finishes it).
int ShredTenant(Context& ctx, const ParsedArgs& args, const std::string& tenant);

/// `key shred TENANT KEYID`: the same for every version of one key.
int ShredKey(Context& ctx, const ParsedArgs& args, const std::string& tenant,
             const std::string& key_id);

/// Signs `document` (its canonical form without a "signature" member, audit::
/// ErasureCertificatePayload) with the audit signer of `config` (audit.signer: a key file, or the
/// HSM-held key in its own token). Returns the signature object
/// {"algorithm","key_id","public_key_pem","signed_payload","value"} or {"unsigned": reason}.
nlohmann::json SignWithAuditKey(const config::Config& config, const nlohmann::json& document);

/// Appends an admin event to the proxy's own audit chain: through the running proxy's admin socket
/// (audit.admin_socket), or, when no proxy runs, directly under the chain's directory lock (the
/// lock the proxy holds while it runs), so there is one chain whatever runs. Returns
/// {"recorded": true, "seq": N, "file": ..., "via": "proxy"|"xksctl"} or
/// {"recorded": false, "reason": ...}.
nlohmann::json RecordAdminEvent(const config::Config& config, const std::string& operation,
                                const std::string& tenant, const std::string& key_id,
                                const nlohmann::json& details);

/// Records the shred event of `certificate` (before its audit_event and signature are set) in
/// xksctl's audit chain: operation tenant.shred / key.shred, details audit::ShredEventDetails
/// plus the certificate's path. Returns as RecordAdminEvent.
nlohmann::json RecordShredEvent(const config::Config& config, const nlohmann::json& certificate,
                                const std::string& certificate_path);

/// Counts audit request records with operation Encrypt for tenant/key id/key label in the proxy's
/// audit files. Returns {"ok": n, "failed": m, "files": k} or {"unavailable": reason}.
nlohmann::json CountAuditedEncrypts(const config::AuditConfig& audit, const std::string& tenant,
                                    const std::string& key_id, const std::string& key_label);

}  // namespace xks::xksctl
