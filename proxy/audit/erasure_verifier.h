#pragma once
// Offline verification of an erasure certificate against the audit chains (`xks-audit
// verify-erasure`, `xksctl audit verify-erasure`): the certificate's signature, the shred event
// that records it, the signed checkpoint that covers the event, the event's agreement with the
// certificate, and every crypto request for the tenant or its keys after the event. Rules and
// finding names: docs/erasure-verification.md. Thread-safe (no shared state); never throws.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "proxy/audit/audit_verifier.h"
#include "proxy/audit/checkpoint_signer.h"

namespace xks::audit {

/// One way the erasure fails to verify. `kind` is one of: "malformed-certificate",
/// "unsigned", "unknown-key", "bad-signature", "incomplete-erasure", "no-shred-event",
/// "event-mismatch:<field>", "not-checkpointed", "audit-tampered", "no-request-log",
/// "use-after-erasure".
struct ErasureFinding {
  std::string kind;
  std::string detail;
  std::string chain;  ///< audit chain concerned, if any
  std::uint64_t seq = 0;
  std::string file;
  std::size_t line = 0;
};

/// An audit record located in its chain.
struct LocatedRecord {
  std::string chain;
  std::string file;
  std::size_t line = 0;
  std::uint64_t seq = 0;
  nlohmann::json rec;
};

struct ErasureReport {
  std::vector<ErasureFinding> findings;
  std::vector<std::string> warnings;  ///< worth reading, not a failure (e.g. unsigned tails)
  std::string certificate_id, tenant, scope, external_key_id;
  bool signature_valid = false;
  std::string signature_key_id;
  bool audit_checked = false;  ///< audit files were given
  bool io_error = false;       ///< an audit file could not be read (exit 2)
  std::optional<LocatedRecord> event;
  std::uint64_t covering_checkpoint_seq = 0;  ///< 0 when none covers the event
  std::vector<LocatedRecord> requests_after;  ///< crypto requests for the tenant/keys after it
  VerifyReport audit;                         ///< the audit chains' own verification

  bool Ok() const { return findings.empty(); }
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

/// Verifies `certificate` with `keys` (the audit public keys) against `audit_files` (any mix of
/// the proxy's and xksctl's files, several chains allowed). With no audit files only the
/// certificate itself (shape, signature, completeness) is checked.
ErasureReport VerifyErasure(const nlohmann::json& certificate,
                            const std::vector<VerificationKey>& keys,
                            const std::vector<std::string>& audit_files);

}  // namespace xks::audit
