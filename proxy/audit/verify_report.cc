// How a verification report reads: finding-kind names, the JSON form and the text summary that
// `xks-audit verify` prints. The walk that fills the report is in audit_verifier.cc.

#include <algorithm>
#include <sstream>
#include <string>

#include "proxy/audit/audit_verifier.h"

namespace xks::audit {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kModified:
      return "modified";
    case FindingKind::kDeleted:
      return "deleted";
    case FindingKind::kInserted:
      return "inserted";
    case FindingKind::kReordered:
      return "reordered";
    case FindingKind::kBadSignature:
      return "bad-signature";
    case FindingKind::kUnknownKey:
      return "unknown-key";
    case FindingKind::kUnsignedTail:
      return "unsigned-tail";
    case FindingKind::kIncompleteLine:
      return "incomplete-line";
    case FindingKind::kIo:
      return "io";
    case FindingKind::kTenantMissing:
      return "tenant-missing";
    case FindingKind::kBadProof:
      return "bad-proof";
  }
  return "unknown";
}

bool VerifyReport::Tampered() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const VerifyFinding& f) { return f.kind != FindingKind::kUnsignedTail; });
}

nlohmann::json VerifyReport::ToJson() const {
  nlohmann::json j = {{"ok", Ok()},
                      {"tampered", Tampered()},
                      {"records", records},
                      {"checkpoints", checkpoints},
                      {"firstSeq", first_seq},
                      {"lastSeq", last_seq},
                      {"signedThrough", signed_through},
                      {"chains", nlohmann::json::array()},
                      {"findings", nlohmann::json::array()}};
  for (const ChainCoverage& c : chains) {
    j["chains"].push_back({{"chainId", c.chain_id},
                           {"files", c.files},
                           {"records", c.records},
                           {"checkpoints", c.checkpoints},
                           {"firstSeq", c.first_seq},
                           {"lastSeq", c.last_seq},
                           {"signedThrough", c.signed_through},
                           {"findings", c.findings}});
  }
  for (const VerifyFinding& f : findings) {
    j["findings"].push_back({{"kind", std::string(FindingKindName(f.kind))},
                             {"chain", f.chain},
                             {"seq", f.seq},
                             {"lastSeq", f.last_seq},
                             {"file", f.file},
                             {"line", f.line},
                             {"detail", f.detail}});
  }
  return j;
}

std::string VerifyReport::ToText() const {
  std::ostringstream out;
  for (const VerifyFinding& f : findings) {
    out << FindingKindName(f.kind);
    if (f.seq != 0) {
      out << " seq " << f.seq;
      if (f.last_seq != f.seq) out << ".." << f.last_seq;
    }
    out << " at " << f.file;
    if (f.line != 0) out << ":" << f.line;
    out << ": " << f.detail << "\n";
  }
  const char* verdict = Ok() ? "OK" : (Tampered() ? "FAILED" : "OK except unsigned tail");
  if (chains.size() <= 1) {
    out << verdict << ": " << records << " records, " << checkpoints << " valid checkpoints, seq "
        << first_seq << ".." << last_seq << ", signed through " << signed_through << "\n";
    return out.str();
  }
  for (const ChainCoverage& c : chains) {
    out << "chain " << c.chain_id << ": " << c.files.size() << " file(s), " << c.records
        << " records, " << c.checkpoints << " valid checkpoints, seq " << c.first_seq << ".."
        << c.last_seq << ", signed through " << c.signed_through << ", " << c.findings
        << " finding(s)\n";
  }
  out << verdict << ": " << chains.size() << " chains, " << records << " records, " << checkpoints
      << " valid checkpoints\n";
  return out.str();
}

}  // namespace xks::audit
