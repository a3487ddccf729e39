// How an erasure verification reads: the JSON form and the text that `verify-erasure` prints.
// The checks that fill the report are in erasure_verifier.cc.

#include <sstream>

#include "proxy/audit/audit_verifier_files.h"
#include "proxy/audit/erasure_verifier.h"

namespace xks::audit {
namespace {

nlohmann::json LocatedJson(const LocatedRecord& x) {
  using verify_detail::GetString;
  return {{"chain", x.chain},
          {"seq", x.seq},
          {"file", x.file},
          {"line", x.line},
          {"time", GetString(x.rec, "time")},
          {"operation", GetString(x.rec, "operation")},
          {"tenant", GetString(x.rec, "tenant")},
          {"externalKeyId", GetString(x.rec, "externalKeyId")},
          {"keyLabel", GetString(x.rec, "keyLabel")},
          {"result", GetString(x.rec, "result")}};
}

std::string Where(const std::string& file, std::size_t line, std::uint64_t seq) {
  std::string s;
  if (seq != 0) s += " seq " + std::to_string(seq);
  if (!file.empty()) s += " at " + file + (line != 0 ? ":" + std::to_string(line) : "");
  return s;
}

}  // namespace

nlohmann::json ErasureReport::ToJson() const {
  nlohmann::json j = {{"ok", Ok()},
                      {"certificate",
                       {{"certificateId", certificate_id},
                        {"tenant", tenant},
                        {"scope", scope},
                        {"externalKeyId", external_key_id}}},
                      {"signature", {{"valid", signature_valid}, {"keyId", signature_key_id}}},
                      {"auditChecked", audit_checked},
                      {"event", nullptr},
                      {"coveringCheckpointSeq", covering_checkpoint_seq},
                      {"requestsAfter", nlohmann::json::array()},
                      {"chains", audit.ToJson()["chains"]},
                      {"warnings", warnings},
                      {"findings", nlohmann::json::array()}};
  if (event) j["event"] = LocatedJson(*event);
  for (const LocatedRecord& x : requests_after) j["requestsAfter"].push_back(LocatedJson(x));
  for (const ErasureFinding& f : findings) {
    j["findings"].push_back({{"kind", f.kind},
                             {"detail", f.detail},
                             {"chain", f.chain},
                             {"seq", f.seq},
                             {"file", f.file},
                             {"line", f.line}});
  }
  return j;
}

std::string ErasureReport::ToText() const {
  std::ostringstream out;
  for (const ErasureFinding& f : findings) {
    out << f.kind << Where(f.file, f.line, f.seq) << ": " << f.detail << "\n";
  }
  for (const std::string& w : warnings) out << "warning: " << w << "\n";
  out << "certificate " << certificate_id << " (" << scope << " " << tenant
      << (external_key_id.empty() ? "" : " key " + external_key_id) << "): signature "
      << (signature_valid ? "valid" : "NOT valid") << "\n";
  if (event) {
    out << "shred event: chain " << event->chain << Where(event->file, event->line, event->seq);
    if (covering_checkpoint_seq != 0)
      out << ", covered by checkpoint seq " << covering_checkpoint_seq;
    out << "\n";
  }
  for (const LocatedRecord& x : requests_after) {
    nlohmann::json j = LocatedJson(x);
    out << "request after erasure: " << j["operation"].get<std::string>() << " "
        << j["externalKeyId"].get<std::string>() << " -> " << j["result"].get<std::string>()
        << Where(x.file, x.line, x.seq) << "\n";
  }
  for (const ChainCoverage& c : audit.chains) {
    out << "chain " << c.chain_id << ": seq " << c.first_seq << ".." << c.last_seq
        << ", signed through " << c.signed_through << "\n";
  }
  out << (Ok() ? "VERIFIED" : "FAILED") << ": erasure certificate "
      << (audit_checked ? "and audit log" : "only (no audit files given)") << ", "
      << findings.size() << " finding(s)\n";
  return out.str();
}

}  // namespace xks::audit
