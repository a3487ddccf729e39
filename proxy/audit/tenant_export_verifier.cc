#include "proxy/audit/tenant_export_verifier.h"

#include <optional>

#include "proxy/audit/tenant_chain.h"

namespace xks::audit::verify_detail {
namespace {

// A proof line, parsed; nullopt when it is not one or is malformed.
struct ProofEntry {
  std::uint64_t checkpoint_seq = 0;
  std::string tenant;
  TenantHead head;
  TenantProof proof;
};

std::optional<ProofEntry> ParseProof(const nlohmann::json& j) {
  if (!j.is_object() || GetString(j, "type") != kTenantProofType) return std::nullopt;
  ProofEntry p;
  p.checkpoint_seq = GetU64(j, "checkpointSeq");
  p.tenant = GetString(j, "tenant");
  p.head.seq = GetU64(j, "tenantSeq");
  auto chain = HexDecodeFixed<32>(GetString(j, "tenantChain"));
  auto path = j.find("path");
  if (!chain || path == j.end() || !path->is_array()) return std::nullopt;
  p.head.chain = *chain;
  p.proof.index = GetU64(j, "index");
  p.proof.size = GetU64(j, "size");
  for (const nlohmann::json& h : *path) {
    auto d = h.is_string() ? HexDecodeFixed<32>(h.get<std::string>()) : std::nullopt;
    if (!d) return std::nullopt;
    p.proof.path.push_back(*d);
  }
  return p;
}

class ExportWalk {
 public:
  ExportWalk(const FileData& f, const std::vector<VerificationKey>& keys, VerifyReport& r)
      : f_(f), keys_(keys), r_(r) {}

  void Run() {
    for (std::size_t li = 1; li < f_.lines.size(); ++li) Line(li);
    if (pending_) MissingProof();
    if (head_.seq > r_.signed_through && records_since_proof_) {
      Report(FindingKind::kUnsignedTail, r_.signed_through + 1, head_.seq, f_.lines.size(),
             "records of tenant " + f_.export_tenant +
                 " (tenantSeq) are not covered by a proof at a signed checkpoint");
    }
    r_.last_seq = head_.seq;
  }

 private:
  void Report(FindingKind kind, std::uint64_t seq, std::uint64_t last, std::size_t line,
              std::string detail) {
    r_.findings.push_back(VerifyFinding{kind, seq, last, f_.path, line, std::move(detail), {}});
  }

  void Line(std::size_t li) {
    const std::string& text = f_.lines[li];
    if (auto proof = ParseProof(nlohmann::json::parse(text, nullptr, false))) {
      return Proof(*proof, li + 1);
    }
    Entry e = ParseEntry(f_.path, li + 1, text);
    if (e.malformed) {
      return Report(FindingKind::kModified, 0, 0, li + 1, "line is unparseable");
    }
    if (e.type == "checkpoint") return Checkpoint(e);
    if ((e.type != "request" && e.type != "admin" && e.type != "refusal-summary") ||
        GetString(e.rec, "tenant") != f_.export_tenant) {
      return Report(FindingKind::kInserted, e.seq, e.seq, e.line,
                    "a " + e.type + " record that does not belong in tenant " + f_.export_tenant +
                        "'s export");
    }
    Record(e);
  }

  void Record(const Entry& e) {
    const std::uint64_t seq = GetU64(e.rec, "tenantSeq");
    auto prev = HexDecodeFixed<32>(GetString(e.rec, "tenantPrev"));
    if (seq == 0 || !prev) {
      return Report(FindingKind::kModified, e.seq, e.seq, e.line,
                    "record without a valid tenantSeq/tenantPrev");
    }
    if (!anchored_) {
      // The export begins here. An export made from the files always starts with the tenant's
      // first record (tenantSeq 1) or with a proof of where the tenant stood (every file begins
      // with a checkpoint that proves it), so a later first record means records were cut off.
      if (seq > 1) {
        Report(FindingKind::kTenantMissing, 1, seq - 1, e.line,
               "records 1.." + std::to_string(seq - 1) + " of tenant " + f_.export_tenant +
                   " (tenantSeq) are missing before the export's first record, and no proof "
                   "shows where the export starts");
      }
      head_ = TenantHead{seq - 1, *prev};
      anchored_ = true;
      r_.first_seq = seq;
    }
    if (seq <= head_.seq) {
      return Report(FindingKind::kInserted, seq, seq, e.line,
                    "tenantSeq " + std::to_string(seq) + " already used (duplicate or forged)");
    }
    if (seq > head_.seq + 1) {
      Report(FindingKind::kTenantMissing, head_.seq + 1, seq - 1, e.line,
             "records " + std::to_string(head_.seq + 1) + ".." + std::to_string(seq - 1) +
                 " of tenant " + f_.export_tenant + " (tenantSeq) are missing before this one");
    } else if (*prev != head_.chain) {
      Report(FindingKind::kModified, seq - 1, seq - 1, e.line,
             "record does not continue the tenant's chain: the record before it was altered");
    }
    if (e.seq <= last_global_seq_) {
      Report(FindingKind::kReordered, seq, seq, e.line, "record is out of sequence order");
    }
    if (pending_ && e.seq <= pending_->fields.last_seq) {
      Report(FindingKind::kReordered, seq, seq, e.line,
             "record appears after the checkpoint that covers it");
    }
    last_global_seq_ = std::max(last_global_seq_, e.seq);
    head_ = TenantHead{seq, NextTenantChain(*prev, e.digest)};
    ++r_.records;
    records_since_proof_ = true;
  }

  void Checkpoint(const Entry& e) {
    if (pending_) MissingProof();
    CheckpointVerdict verdict = VerifyCheckpointEntry(e, keys_);
    if (verdict.failure) return Report(*verdict.failure, e.seq, e.seq, e.line, verdict.detail);
    if (!verdict.fields.tenants) {
      return Report(FindingKind::kInserted, e.seq, e.seq, e.line,
                    "checkpoint without a tenant tree does not belong in a tenant export");
    }
    if (verdict.fields.last_seq < last_global_seq_) {
      Report(FindingKind::kReordered, e.seq, e.seq, e.line,
             "checkpoint appears after records it does not cover");
    }
    pending_ = Pending{e.seq, e.line, anchored_, std::move(verdict.fields)};
  }

  void MissingProof() {
    // Before the tenant's first record there is nothing to prove; after it, every checkpoint
    // must prove the head, or records could be withheld behind it.
    if (pending_->after_first_record) {
      Report(FindingKind::kBadProof, pending_->seq, pending_->seq, pending_->line,
             "checkpoint has no proof of tenant " + f_.export_tenant + "'s head");
    }
    pending_.reset();
  }

  void Proof(const ProofEntry& p, std::size_t line) {
    if (!pending_ || p.checkpoint_seq != pending_->seq || p.tenant != f_.export_tenant) {
      return Report(FindingKind::kInserted, p.checkpoint_seq, p.checkpoint_seq, line,
                    "proof that follows no checkpoint of its own, or of another tenant");
    }
    const Pending cp = *pending_;
    pending_.reset();
    if (!VerifyTenantProof(TenantLeafHash(p.tenant, p.head), p.proof, cp.fields.tenants->root) ||
        p.proof.size != cp.fields.tenants->count) {
      return Report(FindingKind::kBadProof, cp.seq, cp.seq, line,
                    "proof does not lead to the tenant tree this checkpoint signed");
    }
    if (!anchored_) {  // before the export's first record: the signed head anchors it
      head_ = p.head;
      anchored_ = true;
      r_.first_seq = p.head.seq + 1;
    }
    if (p.head.seq > head_.seq) {
      Report(FindingKind::kTenantMissing, head_.seq + 1, p.head.seq, line,
             "records " + std::to_string(head_.seq + 1) + ".." + std::to_string(p.head.seq) +
                 " of tenant " + f_.export_tenant + " (tenantSeq) were signed by checkpoint " +
                 std::to_string(cp.seq) + " but are missing from the export");
      head_ = p.head;  // continue from what the checkpoint signed
    } else if (p.head.seq < head_.seq) {
      Report(FindingKind::kInserted, p.head.seq + 1, head_.seq, line,
             "records beyond what checkpoint " + std::to_string(cp.seq) + " signed precede it");
      // Continue from what the checkpoint signed, never behind what an earlier one proved.
      if (p.head.seq >= r_.signed_through) head_ = p.head;
    } else if (p.head.chain != head_.chain) {
      Report(FindingKind::kModified, r_.signed_through + 1, p.head.seq, line,
             "the tenant's records up to tenantSeq " + std::to_string(p.head.seq) +
                 " differ from the ones checkpoint " + std::to_string(cp.seq) + " signed");
      head_ = p.head;
    } else {
      ++r_.checkpoints;
      r_.signed_through = p.head.seq;
      records_since_proof_ = false;
    }
  }

  struct Pending {
    std::uint64_t seq = 0;
    std::size_t line = 0;
    bool after_first_record = false;  // the tenant had a head to prove when it was signed
    CheckpointFields fields;
  };

  const FileData& f_;
  const std::vector<VerificationKey>& keys_;
  VerifyReport& r_;
  TenantHead head_;        // the tenant's chain as the export's records give it
  bool anchored_ = false;  // head_ is known (a first record or a first proof)
  bool records_since_proof_ = false;
  std::uint64_t last_global_seq_ = 0;
  std::optional<Pending> pending_;  // the last checkpoint, until its proof
};

}  // namespace

void VerifyTenantExport(const FileData& f, const std::vector<VerificationKey>& keys,
                        VerifyReport& report) {
  ExportWalk(f, keys, report).Run();
}

}  // namespace xks::audit::verify_detail
