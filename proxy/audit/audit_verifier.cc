#include "proxy/audit/audit_verifier.h"

#include <algorithm>
#include <optional>

#include "proxy/audit/audit_record.h"
#include "proxy/audit/audit_verifier_files.h"
#include "proxy/audit/file_ops.h"
#include "proxy/audit/tenant_chain_check.h"
#include "proxy/audit/tenant_export_verifier.h"

namespace xks::audit {
namespace {

using verify_detail::CheckpointVerdict;
using verify_detail::Entry;
using verify_detail::FileData;
using verify_detail::GetString;
using verify_detail::GetU64;
using verify_detail::LoadFiles;
using verify_detail::ParseEntry;
using verify_detail::TenantChainCheck;
using verify_detail::VerifyCheckpointEntry;

class Walker {
 public:
  Walker(std::vector<Entry> entries, const std::vector<VerificationKey>& keys, VerifyReport& report)
      : e_(std::move(entries)), keys_(keys), r_(report) {}

  void Run() {
    if (!e_.empty() && !e_[0].malformed && e_[0].type == "file-start") {
      // The first file anchors verification (older files may have been archived).
      if (auto pc = HexDecodeFixed<32>(GetString(e_[0].rec, "prevChain"))) {
        prev_ = *pc;
        expected_ = GetU64(e_[0].rec, "prevSeq") + 1;
        if (expected_ == 1) tenants_.AnchorAtGenesis();
      }
    }
    if (!e_.empty() && !e_[0].malformed) r_.first_seq = e_[0].seq;
    for (i_ = 0; i_ < e_.size();) Step();
    if (last_record_seq_ > r_.signed_through) {
      Report(FindingKind::kUnsignedTail, r_.signed_through + 1, last_record_seq_,
             first_unsigned_file_, first_unsigned_line_,
             "records are not covered by a valid signed checkpoint (normal only for the last "
             "second before a crash)");
    }
  }

 private:
  bool ChainsFrom(const Entry& x, const Sha256Digest& p) const {
    return !x.stored_chain || *x.stored_chain == Sha256({p, x.digest});
  }
  // True when some other entry holds seq x.seq-1 and x chains from it.
  bool IsGenuine(const Entry& x) const {
    for (std::size_t j = 0; j < e_.size(); ++j) {
      const Entry& m = e_[j];
      if (&m != &x && !m.malformed && m.seq + 1 == x.seq && m.stored_chain &&
          ChainsFrom(x, *m.stored_chain)) {
        return true;
      }
    }
    return false;
  }
  Sha256Digest ChainOf(const Entry& x, const Sha256Digest& p) const {
    return x.stored_chain ? *x.stored_chain : Sha256({p, x.digest});
  }

  void Report(FindingKind kind, std::uint64_t seq, std::uint64_t last, const std::string& file,
              std::size_t line, std::string detail) {
    step_reported_ = true;
    tenants_.Forget();
    r_.findings.push_back(VerifyFinding{kind, seq, last, file, line, std::move(detail), {}});
  }

  void Accept(const Entry& x) {
    const Sha256Digest before = prev_;
    prev_ = ChainOf(x, prev_);
    expected_ = x.seq + 1;
    r_.last_seq = x.seq;
    if (x.type == "checkpoint") {
      CheckCheckpoint(x, before);
    } else {
      ++r_.records;
      if (auto problem = tenants_.OnRecord(x, !step_reported_)) {
        Report(problem->kind, problem->seq != 0 ? problem->seq : x.seq,
               problem->last_seq != 0 ? problem->last_seq : x.seq, x.file, x.line, problem->detail);
      }
      if (x.seq > r_.signed_through && x.seq > last_record_seq_) {
        if (last_record_seq_ <= r_.signed_through) {
          first_unsigned_file_ = x.file;
          first_unsigned_line_ = x.line;
        }
        last_record_seq_ = x.seq;
      }
    }
    ++i_;
  }

  void CheckCheckpoint(const Entry& x, const Sha256Digest& chain_before) {
    const CheckpointVerdict verdict = VerifyCheckpointEntry(x, keys_);
    if (verdict.failure) {
      Report(*verdict.failure, x.seq, x.seq, x.file, x.line, verdict.detail);
      return;
    }
    const CheckpointFields& f = verdict.fields;
    if (f.last_seq + 1 != x.seq || f.chain_head != chain_before) {
      // The signature is genuine but the records before it are not the ones it signed: they
      // were altered and the chain recomputed, so only the interval can be named.
      Report(FindingKind::kModified, r_.signed_through + 1, f.last_seq, x.file, x.line,
             "records up to seq " + std::to_string(f.last_seq) +
                 " do not match the chain head this checkpoint signed (altered and re-chained)");
      return;
    }
    ++r_.checkpoints;
    r_.signed_through = std::max(r_.signed_through, f.last_seq);
    if (auto problem = tenants_.OnCheckpoint(f)) {
      Report(problem->kind, x.seq, x.seq, x.file, x.line, problem->detail);
    }
  }

  // One position of the walk: each handler either accepts e_[i_], reports and skips it, or
  // reorders the window and leaves i_ to be examined again.
  void Step() {
    step_reported_ = false;
    Entry& x = e_[i_];
    const Entry* next = i_ + 1 < e_.size() ? &e_[i_ + 1] : nullptr;
    const bool next_fits =
        next != nullptr && !next->malformed && next->seq == expected_ && ChainsFrom(*next, prev_);
    if (x.malformed) return StepMalformed(x, next_fits);
    if (x.type == "file-start" && !ReanchorAtFileStart(x)) return;
    const bool fits = x.seq == expected_ && ChainsFrom(x, prev_);
    if (resync_) {
      // The record before was unreadable, so this one's chain cannot be checked; continue from
      // its stored value and let the following records and the checkpoint decide.
      resync_ = false;
      if (x.seq == expected_) {
        Accept(x);
        return;
      }
    }
    if (fits) return StepFitting(x, next, next_fits);
    if (x.seq > expected_) return StepAhead(x, next_fits);
    StepBehind(x, next_fits);
  }

  void StepMalformed(const Entry& x, bool next_fits) {
    if (next_fits) {
      Report(FindingKind::kInserted, 0, 0, x.file, x.line, "line is not an audit record");
      ++i_;
      return;
    }
    Report(FindingKind::kModified, expected_, expected_, x.file, x.line,
           "record is unparseable or its chain field is damaged");
    ++expected_;
    resync_ = true;
    ++i_;
  }

  // A file-start that chains from the previous file's last record but does not continue where
  // the walk stands re-anchors the walk on it. Returns false when x was skipped as a replayed
  // file.
  bool ReanchorAtFileStart(const Entry& x) {
    auto pc = HexDecodeFixed<32>(GetString(x.rec, "prevChain"));
    const std::uint64_t prev_seq = GetU64(x.rec, "prevSeq");
    if (!pc || (prev_seq + 1 == expected_ && *pc == prev_) || resync_ || x.seq != prev_seq + 1 ||
        !ChainsFrom(x, *pc)) {
      return true;
    }
    if (prev_seq + 1 > expected_) {
      Report(FindingKind::kDeleted, expected_, prev_seq, x.file, x.line,
             "records missing before this file (its file-start names previous file \"" +
                 GetString(x.rec, "prevFile") + "\" ending at seq " + std::to_string(prev_seq) +
                 ")");
    } else if (prev_seq + 1 < expected_) {
      Report(FindingKind::kInserted, x.seq, x.seq, x.file, x.line,
             "file overlaps records already seen (duplicated or replayed file)");
      ++i_;
      return false;
    } else {
      Report(FindingKind::kModified, prev_seq, prev_seq, x.file, x.line,
             "the previous file's last record differs from the one this file continues");
    }
    prev_ = *pc;
    expected_ = prev_seq + 1;
    return true;
  }

  // x has the expected seq and chains; `next` is only read when next_fits (then it is non-null).
  void StepFitting(const Entry& x, const Entry* next, bool next_fits) {
    // Two lines both claiming this position and both chaining: the real one is the one the
    // following record continues from.
    if (next_fits && i_ + 2 < e_.size() && !e_[i_ + 2].malformed &&
        ChainsFrom(e_[i_ + 2], ChainOf(*next, prev_)) &&
        !ChainsFrom(e_[i_ + 2], ChainOf(x, prev_))) {
      Report(FindingKind::kInserted, x.seq, x.seq, x.file, x.line,
             "forged record: the following records continue the chain without it");
      ++i_;
      return;
    }
    Accept(x);
  }

  // x.seq is past the expected one: a reordering, an inserted line, or deleted records.
  void StepAhead(const Entry& x, bool next_fits) {
    std::optional<std::size_t> found;
    for (std::size_t j = i_ + 1; j < e_.size(); ++j) {
      if (!e_[j].malformed && e_[j].seq == expected_) {
        found = j;
        break;
      }
    }
    // A genuine record out of place still chains from its real predecessor; a forged one
    // placed before the expected record does not.
    if (found && (IsGenuine(x) || !next_fits)) {
      const Entry& y = e_[*found];
      Report(FindingKind::kReordered, x.seq, x.seq, x.file, x.line,
             "record seq " + std::to_string(x.seq) + " appears before seq " +
                 std::to_string(expected_) + " (at " + y.file + ":" + std::to_string(y.line) + ")");
      std::stable_sort(
          e_.begin() + static_cast<std::ptrdiff_t>(i_),
          e_.begin() + static_cast<std::ptrdiff_t>(*found) + 1, [](const Entry& a, const Entry& b) {
            auto key = [](const Entry& y2) { return y2.malformed ? UINT64_MAX : y2.seq; };
            return key(a) < key(b);
          });
      return;  // re-examine position i_ with the sorted window
    }
    if (next_fits) {
      Report(FindingKind::kInserted, x.seq, x.seq, x.file, x.line,
             "line does not belong to the chain (the next record continues without it)");
      ++i_;
      return;
    }
    Report(FindingKind::kDeleted, expected_, x.seq - 1, x.file, x.line,
           "records " + std::to_string(expected_) + ".." + std::to_string(x.seq - 1) +
               " are missing before this line");
    Accept(x);
  }

  // x.seq is at or before the expected one but x does not chain there.
  void StepBehind(const Entry& x, bool next_fits) {
    if (next_fits) {
      Report(FindingKind::kInserted, x.seq, x.seq, x.file, x.line,
             "line does not belong to the chain (the next record continues without it)");
      ++i_;
      return;
    }
    if (x.seq == expected_) {
      Report(FindingKind::kModified, x.seq, x.seq, x.file, x.line,
             "record content does not match its chain value");
      Accept(x);
      return;
    }
    Report(FindingKind::kInserted, x.seq, x.seq, x.file, x.line,
           "sequence number " + std::to_string(x.seq) + " already used (duplicate or forged)");
    ++i_;
  }

  std::vector<Entry> e_;
  const std::vector<VerificationKey>& keys_;
  VerifyReport& r_;
  std::size_t i_ = 0;
  Sha256Digest prev_ = kGenesisChain;
  std::uint64_t expected_ = 1;
  bool resync_ = false;
  std::uint64_t last_record_seq_ = 0;
  TenantChainCheck tenants_;
  bool step_reported_ = false;  // this step reported a finding: its record is not trusted
  std::string first_unsigned_file_;
  std::size_t first_unsigned_line_ = 0;
};

}  // namespace

namespace {

// Adds what `sub` found of one chain (whose id and files `coverage` holds) to `report`.
void AddChain(VerifyReport sub, ChainCoverage coverage, VerifyReport& report) {
  coverage.records = sub.records;
  coverage.checkpoints = sub.checkpoints;
  coverage.first_seq = sub.first_seq;
  coverage.last_seq = sub.last_seq;
  coverage.signed_through = sub.signed_through;
  coverage.findings = sub.findings.size();
  for (VerifyFinding& f : sub.findings) {
    f.chain = coverage.chain_id;
    report.findings.push_back(std::move(f));
  }
  report.records += sub.records;
  report.checkpoints += sub.checkpoints;
  report.chains.push_back(std::move(coverage));
}

// Verifies the files of one chain (consecutive in `data`, [begin, end)) on their own.
void VerifyOneChain(const std::vector<FileData>& data, std::size_t begin, std::size_t end,
                    const std::vector<VerificationKey>& keys, VerifyReport& report) {
  VerifyReport sub;
  ChainCoverage coverage;
  coverage.chain_id = data[begin].chain_id;
  std::vector<Entry> entries;
  for (std::size_t fi = begin; fi < end; ++fi) {
    const FileData& f = data[fi];
    coverage.files.push_back(f.path);
    if (!f.error.empty()) {
      sub.findings.push_back(
          VerifyFinding{FindingKind::kIo, 0, 0, f.path, 0, "cannot read: " + f.error, {}});
      continue;
    }
    for (std::size_t li = 0; li < f.lines.size(); ++li) {
      entries.push_back(ParseEntry(f.path, li + 1, f.lines[li]));
    }
    // An interrupted write leaves a partial last line; in the chain's newest file that is the
    // expected trace of a crash (never acknowledged), anywhere else it is damage.
    if (f.incomplete_tail && fi + 1 != end) {
      sub.findings.push_back(VerifyFinding{FindingKind::kIncompleteLine,
                                           0,
                                           0,
                                           f.path,
                                           f.lines.size() + 1,
                                           "final line has no newline (interrupted write)",
                                           {}});
    }
  }
  Walker(std::move(entries), keys, sub).Run();
  AddChain(std::move(sub), std::move(coverage), report);
}

// A tenant-complete export: the tenant's view of one chain, verified on its own.
void VerifyOneExport(const FileData& f, const std::vector<VerificationKey>& keys,
                     VerifyReport& report) {
  VerifyReport sub;
  verify_detail::VerifyTenantExport(f, keys, sub);
  if (f.incomplete_tail) {
    sub.findings.push_back(VerifyFinding{FindingKind::kIncompleteLine,
                                         0,
                                         0,
                                         f.path,
                                         f.lines.size() + 1,
                                         "final line has no newline (truncated export)",
                                         {}});
  }
  ChainCoverage coverage;
  coverage.chain_id = f.chain_id;
  coverage.files = {f.path};
  AddChain(std::move(sub), std::move(coverage), report);
}

// Every chain among `data` (ordered by chain id, so each chain's files are one run) on its own.
VerifyReport VerifyLoaded(const std::vector<FileData>& data,
                          const std::vector<VerificationKey>& keys) {
  VerifyReport report;
  for (std::size_t begin = 0; begin < data.size();) {
    if (!data[begin].export_tenant.empty()) {
      VerifyOneExport(data[begin++], keys, report);
      continue;
    }
    std::size_t end = begin + 1;
    while (end < data.size() && data[end].chain_id == data[begin].chain_id) ++end;
    VerifyOneChain(data, begin, end, keys, report);
    begin = end;
  }
  if (report.chains.size() == 1) {
    report.first_seq = report.chains[0].first_seq;
    report.last_seq = report.chains[0].last_seq;
    report.signed_through = report.chains[0].signed_through;
  }
  return report;
}

}  // namespace

VerifyReport VerifyAuditFiles(const std::vector<std::string>& files,
                              const std::vector<VerificationKey>& keys) {
  return VerifyLoaded(LoadFiles(files), keys);
}

VerifyReport VerifyAuditBytes(const std::vector<AuditFileBytes>& files,
                              const std::vector<VerificationKey>& keys) {
  std::vector<std::pair<std::string, std::string>> named;
  for (const AuditFileBytes& file : files) named.emplace_back(file.name, file.bytes);
  return VerifyLoaded(verify_detail::LoadBytes(named), keys);
}

}  // namespace xks::audit
