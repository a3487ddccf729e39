#pragma once
// The verifier's side of tenant chains (tenant_chain.h) while it walks a whole log: every
// record naming a tenant must continue that tenant's chain, every tenant-heads record must
// match the records before it, and every checkpoint's tenantRoot must be the tree of the heads
// its records give. Internal to proxy/audit (audit_verifier.cc). Not thread-safe; never throws.

#include <map>
#include <optional>
#include <string>

#include "proxy/audit/audit_verifier.h"
#include "proxy/audit/audit_verifier_files.h"
#include "proxy/audit/tenant_chain.h"

namespace xks::audit::verify_detail {

/// A problem found in the tenant chains: what to report.
struct TenantProblem {
  FindingKind kind = FindingKind::kModified;
  std::string detail;
  std::uint64_t seq = 0;  ///< the (first) record concerned; 0: the one just given
  std::uint64_t last_seq = 0;
};

class TenantChainCheck {
 public:
  /// The walk starts at the first record ever: every tenant's chain starts empty.
  void AnchorAtGenesis() { anchored_ = true; }
  /// A record the walk accepted (not a checkpoint). `trusted` false: the walk just reported it
  /// (or its neighbourhood) damaged, so it cannot tell where its tenant's chain stands.
  std::optional<TenantProblem> OnRecord(const Entry& x, bool trusted);
  /// The walk reported damage: what the heads are is no longer known (the records concerned
  /// are already reported), until the next tenant-heads record; each tenant's chain is checked
  /// again from its next record on. So one edit stays one finding.
  void Forget() {
    heads_.clear();
    last_record_.clear();
    anchored_ = false;
  }
  /// A checkpoint with a valid signature, with the fields it signed.
  std::optional<TenantProblem> OnCheckpoint(const CheckpointFields& fields) const;

 private:
  TenantHeads heads_;
  std::map<std::string, std::uint64_t> last_record_;  // tenant -> seq of its last record
  // Every tenant's head is known (genesis or a tenant-heads record), so a tenant absent from
  // heads_ has none yet and the checkpoints' trees can be recomputed.
  bool anchored_ = false;
  // A redacted stand-in was seen (a redacted export): its tenant is unknown, so the trees cannot.
  bool blind_ = false;
};

}  // namespace xks::audit::verify_detail
