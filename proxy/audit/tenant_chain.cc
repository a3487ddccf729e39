#include "proxy/audit/tenant_chain.h"

#include <span>

#include "base/hex.h"

namespace xks::audit {
namespace {

using Leaves = std::span<const Sha256Digest>;

// RFC 6962 domain separation: 0x00 before a leaf, 0x01 before two children, so no leaf can pose
// as an inner node.
Sha256Digest NodeHash(const Sha256Digest& left, const Sha256Digest& right) {
  static constexpr std::uint8_t kNode[1] = {0x01};
  return Sha256({kNode, left, right});
}

// The largest power of two smaller than n (n >= 2).
std::size_t SplitPoint(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Sha256Digest TreeHash(Leaves leaves) {
  if (leaves.empty()) return Sha256(std::string_view());
  if (leaves.size() == 1) return leaves[0];
  const std::size_t k = SplitPoint(leaves.size());
  return NodeHash(TreeHash(leaves.first(k)), TreeHash(leaves.subspan(k)));
}

// RFC 6962 PATH(m, D[n]): the siblings from the leaf up.
void AuditPath(std::size_t m, Leaves leaves, std::vector<Sha256Digest>& out) {
  if (leaves.size() <= 1) return;
  const std::size_t k = SplitPoint(leaves.size());
  if (m < k) {
    AuditPath(m, leaves.first(k), out);
    out.push_back(TreeHash(leaves.subspan(k)));
  } else {
    AuditPath(m - k, leaves.subspan(k), out);
    out.push_back(TreeHash(leaves.first(k)));
  }
}

std::vector<Sha256Digest> LeafHashes(const TenantHeads& heads) {
  std::vector<Sha256Digest> leaves;
  leaves.reserve(heads.size());
  for (const auto& [tenant, head] : heads) leaves.push_back(TenantLeafHash(tenant, head));
  return leaves;
}

}  // namespace

Sha256Digest NextTenantChain(const Sha256Digest& prev, const Sha256Digest& body_digest) {
  return Sha256({prev, body_digest});
}

Sha256Digest TenantLeafHash(const std::string& tenant, const TenantHead& head) {
  static constexpr std::uint8_t kLeaf[1] = {0x00};
  const std::string text = "xks-tenant-head-v1\n" + tenant + "\n" + std::to_string(head.seq) +
                           "\n" + HexEncode(head.chain) + "\n";
  return Sha256({kLeaf, std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(text.data()), text.size())});
}

TenantRoot ComputeTenantRoot(const TenantHeads& heads) {
  const std::vector<Sha256Digest> leaves = LeafHashes(heads);
  return TenantRoot{leaves.size(), TreeHash(leaves)};
}

std::optional<TenantProof> ProveTenantHead(const TenantHeads& heads, const std::string& tenant) {
  auto it = heads.find(tenant);
  if (it == heads.end()) return std::nullopt;
  const std::vector<Sha256Digest> leaves = LeafHashes(heads);
  TenantProof proof;
  proof.index = static_cast<std::uint64_t>(std::distance(heads.begin(), it));
  proof.size = leaves.size();
  AuditPath(proof.index, leaves, proof.path);
  return proof;
}

bool VerifyTenantProof(const Sha256Digest& leaf_hash, const TenantProof& proof,
                       const Sha256Digest& root) {
  // RFC 9162, 2.1.3.2: walk up from the leaf; fn is the node's index, sn the last index at
  // that level, so a node with no right sibling is lifted without hashing.
  if (proof.index >= proof.size) return false;
  std::uint64_t fn = proof.index;
  std::uint64_t sn = proof.size - 1;
  Sha256Digest r = leaf_hash;
  for (const Sha256Digest& p : proof.path) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

void TenantChainState::Reset(TenantHeads heads) {
  heads_ = std::move(heads);
  undo_.clear();
}

TenantLink TenantChainState::Next(const std::string& tenant) const {
  auto it = heads_.find(tenant);
  if (it == heads_.end()) return TenantLink{1, Sha256Digest{}};
  return TenantLink{it->second.seq + 1, it->second.chain};
}

void TenantChainState::Advance(const std::string& tenant, const TenantLink& link,
                               const Sha256Digest& body_digest) {
  auto it = heads_.find(tenant);
  undo_.emplace_back(tenant,
                     it == heads_.end() ? std::nullopt : std::optional<TenantHead>(it->second));
  heads_[tenant] = TenantHead{link.seq, NextTenantChain(link.prev, body_digest)};
}

void TenantChainState::Rollback() {
  // Newest first: each entry holds the head before its own step, so the oldest one wins.
  for (auto entry = undo_.rbegin(); entry != undo_.rend(); ++entry) {
    auto& [tenant, before] = *entry;
    if (before) {
      heads_[tenant] = *before;
    } else {
      heads_.erase(tenant);
    }
  }
  undo_.clear();
}

}  // namespace xks::audit
