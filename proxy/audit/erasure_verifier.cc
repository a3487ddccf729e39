#include "proxy/audit/erasure_verifier.h"

#include <algorithm>
#include <set>
#include <span>

#include "base/base64.h"
#include "proxy/audit/audit_verifier_files.h"
#include "proxy/audit/erasure_certificate.h"

namespace xks::audit {
namespace {

using verify_detail::GetString;

void Find(ErasureReport& r, std::string kind, std::string detail) {
  r.findings.push_back({std::move(kind), std::move(detail), {}, 0, {}, 0});
}

void FindAt(ErasureReport& r, std::string kind, std::string detail, const LocatedRecord& at) {
  r.findings.push_back({std::move(kind), std::move(detail), at.chain, at.seq, at.file, at.line});
}

bool IsTrue(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// Times compared to the second: certificates carry whole seconds, records six fractional digits.
std::string ToSecond(const std::string& t) {
  return t.substr(0, std::min<std::size_t>(19, t.size()));
}

// The certificate's own fields, before anything else can be judged.
bool CheckShape(const nlohmann::json& cert, ErasureReport& r) {
  if (!cert.is_object()) {
    Find(r, "malformed-certificate", "the certificate is not a JSON object");
    return false;
  }
  r.certificate_id = GetString(cert, "certificate_id");
  r.tenant = GetString(cert, "tenant");
  r.scope = GetString(cert, "scope");
  r.external_key_id = GetString(cert, "external_key_id");
  std::vector<std::string> problems;
  if (GetString(cert, "type") != kErasureCertificateType) problems.push_back("type");
  auto format = cert.find("format");
  if (format == cert.end() || *format != kErasureCertificateFormat) {
    problems.push_back("format (must be " + std::to_string(kErasureCertificateFormat) +
                       "; older certificates name no certificate_id and cannot be verified)");
  }
  if (r.certificate_id.empty()) problems.push_back("certificate_id");
  if (r.tenant.empty()) problems.push_back("tenant");
  if (r.scope != "tenant" && r.scope != "key") problems.push_back("scope");
  if (r.scope == "key" && r.external_key_id.empty()) problems.push_back("external_key_id");
  if (GetString(cert, "started_at").empty()) problems.push_back("started_at");
  if (GetString(cert, "completed_at").empty()) problems.push_back("completed_at");
  if (!cert.contains("keys") || !cert["keys"].is_array()) problems.push_back("keys");
  for (const std::string& p : problems) Find(r, "malformed-certificate", "missing or invalid " + p);
  return true;
}

void CheckSignature(const nlohmann::json& cert, const std::vector<VerificationKey>& keys,
                    ErasureReport& r) {
  auto it = cert.find("signature");
  if (it == cert.end() || !it->is_object() || !it->contains("value")) {
    Find(r, "unsigned", "the certificate carries no signature");
    return;
  }
  const nlohmann::json& sig = *it;
  r.signature_key_id = GetString(sig, "key_id");
  const VerificationKey* key = nullptr;
  for (const VerificationKey& k : keys) {
    if (k.key_id == r.signature_key_id) key = &k;
  }
  if (key == nullptr) {
    Find(r, "unknown-key",
         "signed by key id " + r.signature_key_id + ", which is not among the given keys");
    return;
  }
  const std::string payload = ErasureCertificatePayload(cert);
  auto value = Base64Decode(GetString(sig, "value"));
  r.signature_valid =
      value && GetString(sig, "algorithm") == key->algorithm &&
      VerifyCheckpointSignature(
          *key,
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                        payload.size()),
          *value);
  if (!r.signature_valid) {
    Find(r, "bad-signature",
         "the signature does not verify with key " + key->key_id +
             " over the certificate's canonical form: it was altered after signing");
  }
}

void CheckComplete(const nlohmann::json& cert, ErasureReport& r) {
  std::vector<std::string> open;
  for (const nlohmann::json& m : cert.value("members", nlohmann::json::array())) {
    if (m.is_object() && !IsTrue(m, "complete")) open.push_back(GetString(m, "id"));
  }
  if (IsTrue(cert, "complete") && IsTrue(cert, "all_erased") && open.empty()) return;
  std::string names;
  for (const std::string& n : open) names += (names.empty() ? "" : ", ") + n;
  Find(r, "incomplete-erasure",
       "the certificate itself says the erasure is not complete" +
           (names.empty() ? std::string() : " (members not done: " + names + ")") +
           "; re-run the shred to finish it");
}

std::vector<LocatedRecord> ReadRecords(const std::vector<std::string>& files) {
  std::vector<LocatedRecord> out;
  for (const verify_detail::FileData& f : verify_detail::LoadFiles(files)) {
    for (std::size_t li = 0; li < f.lines.size(); ++li) {
      verify_detail::Entry e = verify_detail::ParseEntry(f.path, li + 1, f.lines[li]);
      if (e.malformed || !e.rec.is_object()) continue;
      out.push_back({f.chain_id, f.path, li + 1, e.seq, std::move(e.rec)});
    }
  }
  return out;
}

void MatchEvent(const nlohmann::json& cert, const LocatedRecord& ev, ErasureReport& r) {
  const nlohmann::json& rec = ev.rec;
  auto mismatch = [&](const std::string& field, const std::string& detail) {
    FindAt(r, "event-mismatch:" + field, detail, ev);
  };
  if (GetString(rec, "operation") != ShredOperationOf(cert)) {
    mismatch("scope",
             "event operation " + GetString(rec, "operation") + ", certificate scope " + r.scope);
  }
  if (GetString(rec, "tenant") != r.tenant) {
    mismatch("tenant", "event tenant " + GetString(rec, "tenant") + ", certificate " + r.tenant);
  }
  if (GetString(rec, "externalKeyId") != r.external_key_id) {
    mismatch("external_key_id",
             "event key " + GetString(rec, "externalKeyId") + ", certificate " + r.external_key_id);
  }
  const nlohmann::json expected = ShredEventDetails(cert);
  const nlohmann::json details = rec.value("details", nlohmann::json::object());
  for (const auto& [field, value] : expected.items()) {
    auto got = details.is_object() ? details.find(field) : details.end();
    if (got == details.end() || *got != value) {
      mismatch(field, "event " + (got == details.end() ? std::string("lacks it") : got->dump()) +
                          ", certificate " + value.dump());
    }
  }
  const std::string time = GetString(rec, "time");
  if (ToSecond(time) < ToSecond(GetString(cert, "completed_at")) ||
      ToSecond(time) < ToSecond(GetString(cert, "started_at"))) {
    mismatch("time", "event recorded at " + time + ", before the certificate's times");
  }
}

// The event counts only when a valid checkpoint of its chain covers it and no tampering finding
// touches it.
void CheckCoverage(const LocatedRecord& ev, const std::vector<LocatedRecord>& records,
                   ErasureReport& r) {
  std::uint64_t signed_through = 0;
  for (const ChainCoverage& c : r.audit.chains) {
    if (c.chain_id == ev.chain) signed_through = c.signed_through;
  }
  bool touched = false;
  for (const VerifyFinding& f : r.audit.findings) {
    if (f.chain != ev.chain || f.kind == FindingKind::kUnsignedTail) continue;
    touched = touched || (f.seq <= ev.seq && ev.seq <= std::max(f.seq, f.last_seq)) ||
              (f.file == ev.file && f.line == ev.line);
  }
  if (signed_through >= ev.seq && !touched) {
    for (const LocatedRecord& x : records) {
      if (x.chain == ev.chain && GetString(x.rec, "type") == "checkpoint" &&
          verify_detail::GetU64(x.rec, "lastSeq") >= ev.seq && r.covering_checkpoint_seq == 0) {
        r.covering_checkpoint_seq = x.seq;
      }
    }
    return;
  }
  FindAt(r, "not-checkpointed",
         touched ? "the shred event is not the record a signed checkpoint covers (the audit "
                   "verification reports it altered, inserted or in an altered range)"
                 : "no valid signed checkpoint covers the shred event (chain signed through seq " +
                       std::to_string(signed_through) + ")",
         ev);
}

bool ConcernsErasedKeys(const nlohmann::json& rec, const ErasureReport& r,
                        const std::set<std::string>& labels) {
  if (GetString(rec, "tenant") != r.tenant) return false;
  return r.scope == "tenant" || GetString(rec, "externalKeyId") == r.external_key_id ||
         labels.count(GetString(rec, "keyLabel")) != 0;
}

void FindRequestsAfter(const nlohmann::json& cert, const LocatedRecord& ev,
                       const std::vector<LocatedRecord>& records, ErasureReport& r) {
  std::set<std::string> labels;
  for (const nlohmann::json& k : cert.value("keys", nlohmann::json::array())) {
    if (k.is_object()) labels.insert(GetString(k, "label"));
  }
  const std::string event_time = GetString(ev.rec, "time");
  bool saw_requests = false;  // in the event's own chain, or (older installations) another one
  for (const LocatedRecord& x : records) {
    saw_requests = saw_requests || GetString(x.rec, "type") == "request";
    const std::string op = GetString(x.rec, "operation");
    if (GetString(x.rec, "type") != "request" || (op != "Encrypt" && op != "Decrypt") ||
        GetString(x.rec, "time") <= event_time || !ConcernsErasedKeys(x.rec, r, labels)) {
      continue;
    }
    r.requests_after.push_back(x);
    if (GetString(x.rec, "result") == "OK") {
      FindAt(r, "use-after-erasure",
             op + " of key " + GetString(x.rec, "externalKeyId") + " (" +
                 GetString(x.rec, "keyLabel") + ") succeeded at " + GetString(x.rec, "time") +
                 ", after the shred event at " + event_time,
             x);
    }
  }
  if (!saw_requests) {
    Find(r, "no-request-log",
         "no request record in the given audit files (the proxy's audit-*.jsonl): requests "
         "after the erasure cannot be checked");
  }
}

void CheckAudit(const nlohmann::json& cert, const std::vector<VerificationKey>& keys,
                const std::vector<std::string>& files, ErasureReport& r) {
  r.audit_checked = true;
  r.audit = VerifyAuditFiles(files, keys);
  for (const VerifyFinding& f : r.audit.findings) {
    const std::string what = std::string(FindingKindName(f.kind)) + ": " + f.detail;
    if (f.kind == FindingKind::kIo) r.io_error = true;
    if (f.kind == FindingKind::kUnsignedTail) {
      r.warnings.push_back("chain " + f.chain + ": " + what);
      continue;
    }
    r.findings.push_back({"audit-tampered", what, f.chain, f.seq, f.file, f.line});
  }
  const std::vector<LocatedRecord> records = ReadRecords(files);
  const LocatedRecord* ev = nullptr;
  for (const LocatedRecord& x : records) {
    const nlohmann::json details = x.rec.value("details", nlohmann::json::object());
    if (ev == nullptr && GetString(x.rec, "type") == "admin" && details.is_object() &&
        !r.certificate_id.empty() && GetString(details, "certificate_id") == r.certificate_id) {
      ev = &x;
    }
  }
  if (ev == nullptr) {
    Find(r, "no-shred-event",
         "no admin record in the given audit files names certificate_id " + r.certificate_id);
    return;
  }
  r.event = *ev;
  MatchEvent(cert, *ev, r);
  CheckCoverage(*ev, records, r);
  FindRequestsAfter(cert, *ev, records, r);
}

}  // namespace

ErasureReport VerifyErasure(const nlohmann::json& certificate,
                            const std::vector<VerificationKey>& keys,
                            const std::vector<std::string>& audit_files) {
  ErasureReport r;
  if (!CheckShape(certificate, r)) return r;
  CheckSignature(certificate, keys, r);
  CheckComplete(certificate, r);
  if (!audit_files.empty()) CheckAudit(certificate, keys, audit_files, r);
  return r;
}

}  // namespace xks::audit
