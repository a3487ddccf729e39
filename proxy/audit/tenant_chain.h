#pragma once
// Tenant chains: each tenant's records form a hash chain of their own inside the instance's one
// chain (every record naming a tenant carries `tenantSeq` and `tenantPrev`), and every signed
// checkpoint commits to the head of every tenant's chain through a Merkle tree (RFC 6962 hashing)
// over the heads sorted by tenant name. A per-tenant export then proves to the tenant that it
// holds every one of its records up to a signed checkpoint, with an inclusion proof of its own
// head, without holding anything of the other tenants but opaque sibling hashes.
// docs/audit-format.md, "Tenant chains", is the normative description.
// Pure functions; thread-safe; never throw.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/sha256.h"

namespace xks::audit {

/// Where one tenant's chain stands: the tenantSeq of its last record (0: none yet) and the
/// tenant chain value after it (32 zero bytes before the first record).
struct TenantHead {
  std::uint64_t seq = 0;
  Sha256Digest chain{};
  bool operator==(const TenantHead&) const = default;
};

/// A record's place in its tenant's chain: `tenantSeq` and `tenantPrev` (the chain before it).
struct TenantLink {
  std::uint64_t seq = 0;
  Sha256Digest prev{};
};

/// Every tenant's head, by tenant name (std::map: byte order, the tree's leaf order).
using TenantHeads = std::map<std::string, TenantHead>;

/// The tenant chain value after a record whose canonical body hashes to `body_digest` and whose
/// `tenantPrev` is `prev`: SHA-256(prev || body_digest), the same step as the instance's chain.
Sha256Digest NextTenantChain(const Sha256Digest& prev, const Sha256Digest& body_digest);

/// The leaf hash of one tenant's head: SHA-256(0x00 || "xks-tenant-head-v1\n" || tenant || "\n"
/// || decimal seq || "\n" || hex chain || "\n").
Sha256Digest TenantLeafHash(const std::string& tenant, const TenantHead& head);

/// What a checkpoint commits to: how many tenants, and the root of the tree over their heads
/// (SHA-256 of nothing for none).
struct TenantRoot {
  std::uint64_t count = 0;
  Sha256Digest root{};
};
TenantRoot ComputeTenantRoot(const TenantHeads& heads);

/// An inclusion proof of one tenant's head in the tree of a checkpoint: its leaf index (position
/// in name order), the tree size, and the sibling hashes from the leaf up (RFC 6962 audit path).
struct TenantProof {
  std::uint64_t index = 0;
  std::uint64_t size = 0;
  std::vector<Sha256Digest> path;
};
/// nullopt when `tenant` has no head in `heads`.
std::optional<TenantProof> ProveTenantHead(const TenantHeads& heads, const std::string& tenant);

/// True when `proof` places the leaf `leaf_hash` in a tree with `root` of `proof.size` leaves.
/// The path alone does not fix the size (a proof in a 3-leaf tree also fits a 4-leaf one with
/// the same root), so callers compare proof.size with the signed tenantCount.
bool VerifyTenantProof(const Sha256Digest& leaf_hash, const TenantProof& proof,
                       const Sha256Digest& root);

/// The writer's view of every tenant's chain, with an undo log: a batch's records advance their
/// tenants' heads as they are serialised; if the batch cannot be written, Rollback() returns every
/// head to where it stood, just as the instance's sequence number and chain roll back. Not
/// thread-safe (the one writer thread owns it).
class TenantChainState {
 public:
  /// Starts over from `heads` (recovery) and forgets any undo information.
  void Reset(TenantHeads heads);
  /// The link of `tenant`'s next record: its tenantSeq and tenantPrev.
  TenantLink Next(const std::string& tenant) const;
  /// The record with `link` (from Next) and canonical-body digest `body_digest` was serialised.
  void Advance(const std::string& tenant, const TenantLink& link, const Sha256Digest& body_digest);
  /// The records advanced since the last Commit/Rollback are on disk.
  void Commit() { undo_.clear(); }
  /// ... or they are not: every head goes back.
  void Rollback();
  const TenantHeads& heads() const { return heads_; }

 private:
  TenantHeads heads_;
  std::vector<std::pair<std::string, std::optional<TenantHead>>> undo_;  // head before each step
};

}  // namespace xks::audit
