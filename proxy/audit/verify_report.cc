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
                      {"findings", nlohmann::json::array()}};
  for (const VerifyFinding& f : findings) {
    j["findings"].push_back({{"kind", std::string(FindingKindName(f.kind))},
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
  out << (Ok() ? "OK" : (Tampered() ? "FAILED" : "OK except unsigned tail")) << ": " << records
      << " records, " << checkpoints << " valid checkpoints, seq " << first_seq << ".." << last_seq
      << ", signed through " << signed_through << "\n";
  return out.str();
}

}  // namespace xks::audit
