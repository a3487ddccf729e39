// Tenant chains (proxy/audit/tenant_chain.*): the Merkle tree over every tenant's head that each
// checkpoint signs, its inclusion proofs, and the writer's undo of a batch that failed.

#include "proxy/audit/tenant_chain.h"

#include <gtest/gtest.h>

#include <string>

namespace xks::audit {
namespace {

TenantHeads HeadsOfSize(std::size_t n) {
  TenantHeads heads;
  for (std::size_t i = 0; i < n; ++i) {
    Sha256Digest chain{};
    chain[0] = static_cast<std::uint8_t>(i);
    heads["tenant-" + std::to_string(100 + i)] = TenantHead{i + 1, chain};
  }
  return heads;
}

Sha256Digest Node(const Sha256Digest& l, const Sha256Digest& r) {
  static constexpr std::uint8_t kOne[1] = {0x01};
  return Sha256({kOne, l, r});
}

TEST(TenantChainTest, TheRootIsTheRfc6962TreeOverHeadsInNameOrder) {
  EXPECT_EQ(ComputeTenantRoot({}).root, Sha256(std::string_view()));
  EXPECT_EQ(ComputeTenantRoot({}).count, 0u);
  TenantHeads three = HeadsOfSize(3);
  std::vector<Sha256Digest> leaves;
  for (const auto& [tenant, head] : three) leaves.push_back(TenantLeafHash(tenant, head));
  // Three leaves: the left subtree is the largest power of two below 3.
  TenantRoot root = ComputeTenantRoot(three);
  EXPECT_EQ(root.count, 3u);
  EXPECT_EQ(root.root, Node(Node(leaves[0], leaves[1]), leaves[2]));
  EXPECT_EQ(ComputeTenantRoot(HeadsOfSize(1)).root, leaves[0]);
  // The leaf text is documented; a leaf is SHA-256(0x00 || text).
  static constexpr std::uint8_t kZero[1] = {0x00};
  const std::string text = "xks-tenant-head-v1\ntenant-100\n1\n" + std::string(64, '0') + "\n";
  EXPECT_EQ(leaves[0],
            Sha256({kZero, std::span<const std::uint8_t>(
                               reinterpret_cast<const std::uint8_t*>(text.data()), text.size())}));
}

TEST(TenantChainTest, EveryHeadIsProvenInTreesOfEverySize) {
  for (std::size_t n = 1; n <= 17; ++n) {
    TenantHeads heads = HeadsOfSize(n);
    const TenantRoot root = ComputeTenantRoot(heads);
    for (const auto& [tenant, head] : heads) {
      auto proof = ProveTenantHead(heads, tenant);
      ASSERT_TRUE(proof.has_value());
      EXPECT_EQ(proof->size, n);
      const Sha256Digest leaf = TenantLeafHash(tenant, head);
      EXPECT_TRUE(VerifyTenantProof(leaf, *proof, root.root)) << n << " " << tenant;
      // Any other head, index, size or path fails.
      TenantHead other = head;
      ++other.seq;
      EXPECT_FALSE(VerifyTenantProof(TenantLeafHash(tenant, other), *proof, root.root));
      if (n > 1) {
        TenantProof moved = *proof;
        moved.index = (moved.index + 1) % n;
        EXPECT_FALSE(VerifyTenantProof(leaf, moved, root.root));
        TenantProof damaged = *proof;
        damaged.path[0][3] ^= 1;
        EXPECT_FALSE(VerifyTenantProof(leaf, damaged, root.root));
      }
    }
  }
  EXPECT_FALSE(ProveTenantHead(HeadsOfSize(3), "absent").has_value());
}

TEST(TenantChainTest, AFailedBatchRollsEveryHeadBack) {
  TenantChainState state;
  state.Reset(HeadsOfSize(2));
  const TenantHeads before = state.heads();
  Sha256Digest digest{};
  for (int i = 0; i < 3; ++i) {  // the same tenant twice in one batch, and a new one
    for (const std::string tenant : {"tenant-100", "tenant-new"}) {
      TenantLink link = state.Next(tenant);
      digest[1] = static_cast<std::uint8_t>(i);
      state.Advance(tenant, link, digest);
    }
  }
  EXPECT_EQ(state.heads().at("tenant-100").seq, 4u);
  EXPECT_EQ(state.heads().at("tenant-new").seq, 3u);
  EXPECT_EQ(state.Next("tenant-new").prev, state.heads().at("tenant-new").chain);
  state.Rollback();
  EXPECT_EQ(state.heads(), before);
  // A committed batch stays.
  TenantLink link = state.Next("tenant-101");
  EXPECT_EQ(link.seq, 3u);
  state.Advance("tenant-101", link, digest);
  state.Commit();
  state.Rollback();
  EXPECT_EQ(state.heads().at("tenant-101").seq, 3u);
  EXPECT_EQ(state.heads().at("tenant-101").chain, NextTenantChain(link.prev, digest));
}

}  // namespace
}  // namespace xks::audit
