#include "proxy/audit/tenant_chain_check.h"

namespace xks::audit::verify_detail {
std::optional<TenantProblem> TenantChainCheck::OnRecord(const Entry& x, bool trusted) {
  if (!trusted) return std::nullopt;
  if (x.type == "redacted") {
    blind_ = true;
    return std::nullopt;
  }
  if (x.type == "tenant-heads") {
    TenantHeads heads = ParseTenantHeads(x.rec);
    const bool differs = anchored_ && !blind_ && heads != heads_;
    heads_ = std::move(heads);
    anchored_ = true;
    if (differs) {
      return TenantProblem{FindingKind::kModified,
                           "tenant-heads record does not match the tenants' records before it"};
    }
    return std::nullopt;
  }
  auto tenant_seq = x.rec.find("tenantSeq");
  if (tenant_seq == x.rec.end()) return std::nullopt;  // no tenant, or written before tenant chains
  const std::string tenant = GetString(x.rec, "tenant");
  const std::uint64_t seq = GetU64(x.rec, "tenantSeq");
  const auto prev = HexDecodeFixed<32>(GetString(x.rec, "tenantPrev"));
  std::optional<TenantProblem> problem;
  auto it = heads_.find(tenant);
  const bool known = it != heads_.end() || (anchored_ && !blind_);
  const TenantHead before = it != heads_.end() ? it->second : TenantHead{};
  if (!prev || seq == 0) {
    problem = TenantProblem{FindingKind::kModified, "malformed tenantSeq/tenantPrev"};
  } else if (known && seq > before.seq + 1) {
    problem =
        TenantProblem{FindingKind::kTenantMissing,
                      "records " + std::to_string(before.seq + 1) + ".." + std::to_string(seq - 1) +
                          " of tenant " + tenant + " (tenantSeq) are missing before this one"};
  } else if (known && (seq != before.seq + 1 || *prev != before.chain)) {
    // The chain links this record to the tenant's previous one: that one was altered (and the
    // instance's chain recomputed over it), or this one's tenantPrev/tenantSeq was.
    auto last = last_record_.find(tenant);
    problem = TenantProblem{FindingKind::kModified,
                            "record does not continue the chain of tenant " + tenant +
                                ": this record or the tenant's previous one was altered",
                            last == last_record_.end() ? x.seq : last->second, x.seq};
  }
  heads_[tenant] = TenantHead{seq, NextTenantChain(prev.value_or(Sha256Digest{}), x.digest)};
  last_record_[tenant] = x.seq;
  return problem;
}

std::optional<TenantProblem> TenantChainCheck::OnCheckpoint(const CheckpointFields& fields) const {
  if (!fields.tenants || !anchored_ || blind_) return std::nullopt;
  const TenantRoot mine = ComputeTenantRoot(heads_);
  if (mine.count == fields.tenants->count && mine.root == fields.tenants->root) {
    return std::nullopt;
  }
  return TenantProblem{FindingKind::kModified,
                       "the tenant heads this checkpoint signed differ from the ones its records "
                       "give (tenant records altered or withheld)"};
}

}  // namespace xks::audit::verify_detail
