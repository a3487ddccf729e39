#pragma once
// Entry points for the operator CLI (`xksctl audit ...`, and the standalone `xks-audit`).
// Each takes the arguments after its sub-command name, writes results to `out` and diagnostics
// to `err`, and returns the exit code: 0 ok, 1 verification failed, 2 usage or I/O error.
// `--help` prints usage to `out` and returns 0; `--json` makes the result machine-readable.
// Thread-safe (no shared state); never throws.

#include <ostream>
#include <string>
#include <vector>

#include "proxy/audit/checkpoint_signer.h"

namespace xks::audit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitVerifyFailed = 1;
inline constexpr int kExitUsage = 2;

/// verify [--json] [--allow-unsigned-tail] --public-key PEM [--public-key PEM ...] FILE...
/// 1 when any finding (an unsigned tail only counts without --allow-unsigned-tail).
int RunAuditVerify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// verify-erasure CERT --public-key PEM [--public-key PEM ...] [--json] [AUDIT FILE...]
/// (see VerifyErasure). Exit: 0 verified, 1 findings, 2 usage or unreadable input.
int RunAuditVerifyErasure(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

/// public-key --key-file KEY [--json]: prints the PEM public key and its key id.
int RunAuditPublicKey(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// What `public-key` prints for `signer`: the PEM with "# key id" and "# algorithm" comment lines,
/// or with `json` one object {"keyId","algorithm","publicKeyPem"}.
void PrintSignerPublicKey(const CheckpointSigner& signer, bool json, std::ostream& out);

/// export --tenant T -o OUT [--json] FILE...: per-tenant export (see ExportTenant).
int RunAuditExport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// keygen --type p256|ed25519 -o FILE [--json]: new signer key file (mode 0600), prints key id.
int RunAuditKeygen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// Dispatches args[0] in {verify, verify-erasure, public-key, export, keygen, help}; the
/// `xks-audit` main.
int RunAuditCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace xks::audit
