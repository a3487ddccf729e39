#pragma once
// Offline verification and per-tenant export of audit files. The detection rules (how a
// deletion, insertion, reordering or modification is told apart) are documented in
// docs/audit-format.md, "Verification". Thread-safe (no shared state); never throws.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/audit/checkpoint_signer.h"

namespace xks::audit {

enum class FindingKind {
  kModified,        ///< a record's content (or chain value) differs from what was chained/signed
  kDeleted,         ///< sequence numbers missing (records or whole files removed)
  kInserted,        ///< a line that does not belong to the chain (forged, duplicated, garbage)
  kReordered,       ///< records present but out of sequence order
  kBadSignature,    ///< a checkpoint whose signature does not verify with its named key
  kUnknownKey,      ///< a checkpoint naming a key id not among the given public keys
  kUnsignedTail,    ///< records after the last valid checkpoint (normal after a crash)
  kIncompleteLine,  ///< a final line without '\n' in a file other than the last
  kIo,              ///< a file could not be read
  /// A tenant's records missing: its tenantSeq skips ahead, or a checkpoint commits to a head
  /// beyond the records given (deleted from the log, or left out of a tenant export).
  kTenantMissing,
  /// A tenant export's inclusion proof that does not lead to its checkpoint's tenantRoot, or a
  /// checkpoint without the proof of the tenant's head.
  kBadProof,
};

/// "modified", "deleted", "inserted", "reordered", "bad-signature", "unknown-key",
/// "unsigned-tail", "incomplete-line", "io", "tenant-missing", "bad-proof".
std::string_view FindingKindName(FindingKind kind);

struct VerifyFinding {
  FindingKind kind = FindingKind::kModified;
  std::uint64_t seq = 0;       ///< the (first) sequence number concerned; 0 when unknown
  std::uint64_t last_seq = 0;  ///< for ranges (deleted, unsigned tail); else == seq
  std::string file;            ///< where it was found
  std::size_t line = 0;        ///< 1-based line in `file`; 0 for whole-file problems
  std::string detail;
  std::string chain;  ///< id of the chain the file belongs to (see ChainCoverage)
};

/// What was verified of one chain. A chain is identified by the `chainId` of its files'
/// file-start records ("<instance>/<file prefix>"; derived for files older than that field), so
/// the proxy's files and xksctl's, or several instances', verify together, each on its own.
struct ChainCoverage {
  std::string chain_id;
  std::vector<std::string> files;    ///< in chain order
  std::uint64_t records = 0;         ///< as VerifyReport::records, for this chain
  std::uint64_t checkpoints = 0;     ///< valid checkpoints of this chain
  std::uint64_t first_seq = 0;       ///< first sequence number seen
  std::uint64_t last_seq = 0;        ///< last sequence number seen
  std::uint64_t signed_through = 0;  ///< highest seq covered by a valid checkpoint
  std::size_t findings = 0;          ///< findings in this chain
};

struct VerifyReport {
  std::vector<VerifyFinding> findings;
  std::vector<ChainCoverage> chains;  ///< ordered by chain id
  std::uint64_t records = 0;          ///< request/admin/file-start/redacted records, all chains
  std::uint64_t checkpoints = 0;      ///< checkpoints with a valid signature, all chains
  // With exactly one chain, its values; with several, 0 (see `chains`).
  std::uint64_t first_seq = 0;       ///< first sequence number seen
  std::uint64_t last_seq = 0;        ///< last sequence number seen
  std::uint64_t signed_through = 0;  ///< highest seq covered by a valid checkpoint

  /// No findings at all.
  bool Ok() const { return findings.empty(); }
  /// Any finding other than an unsigned tail: evidence of tampering or damage.
  bool Tampered() const;
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

/// Verifies `files` (log files and/or per-tenant exports, in any order) against `keys`: files are
/// grouped by chain, and each chain's files, ordered by their first sequence number, are verified
/// on their own. Never fails as a whole: unreadable files are findings.
VerifyReport VerifyAuditFiles(const std::vector<std::string>& files,
                              const std::vector<VerificationKey>& keys);

/// One audit file already in memory: the name its findings carry, and its bytes.
struct AuditFileBytes {
  std::string name;
  std::string bytes;
};

/// VerifyAuditFiles over files already read (the same rules; there is no I/O to fail).
VerifyReport VerifyAuditBytes(const std::vector<AuditFileBytes>& files,
                              const std::vector<VerificationKey>& keys);

struct ExportSummary {
  std::uint64_t tenant_records = 0;    ///< records of the tenant copied verbatim
  std::uint64_t redacted_records = 0;  ///< other records replaced by their digest
  std::uint64_t checkpoints = 0;
  std::uint64_t proofs = 0;  ///< tenant-complete export: inclusion proofs of the tenant's head
  /// Tenant-complete export: records before the first point where every tenant's head is known
  /// (a tenant-heads record, or genesis), which cannot be proven and are left out.
  std::uint64_t skipped_before_anchor = 0;
  std::uint64_t first_tenant_seq = 0;  ///< tenant-complete export: first tenantSeq held (0: none)
  std::uint64_t last_tenant_seq = 0;
};

/// The tenant-complete export (docs/audit-format.md, "Per-tenant export"): a header line, the
/// tenant's records verbatim, every tenant-chain checkpoint verbatim, each followed by the
/// inclusion proof of the tenant's head in that checkpoint's tree. Nothing of another tenant but
/// sibling hashes. Verified by VerifyAuditFiles like any audit file. Errors: as ExportTenant, and
/// when no record of the files can be proven (they all predate tenant chains: use
/// ExportTenant), or a checkpoint does not commit to the heads the records give (run verify).
Result<ExportSummary, Problem> ExportTenantComplete(const std::vector<std::string>& files,
                                                    const std::string& tenant,
                                                    const std::string& out_path);

/// The redacted export, for logs written before tenant chains: writes to `out_path` (created or
/// truncated, mode 0600) one file holding, in order, the tenant's records (request, admin and
/// refusal-summary records naming it) and every checkpoint and file-start record verbatim, and for
/// every other record only {"digest","seq","type":"redacted"}. Incomplete final lines are skipped.
/// Errors: a Problem whose path is the file (with ":line" for an unparseable record) that could not
/// be read, parsed or written, or that belongs to another chain than the first file (one export
/// holds one chain).
Result<ExportSummary, Problem> ExportTenant(const std::vector<std::string>& files,
                                            const std::string& tenant, const std::string& out_path);

}  // namespace xks::audit
