#include "proxy/audit/audit_record.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace xks::audit {

std::string FormatTimestamp(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::int64_t secs = us / 1000000;
  std::int64_t frac = us % 1000000;
  if (frac < 0) {  // floor division so pre-1970 times stay well-formed
    frac += 1000000;
    --secs;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

nlohmann::json BuildEventRecord(const RecordHeader& header, const AuditEvent& event,
                                const TenantLink& link) {
  nlohmann::json r = nlohmann::json::object();
  r["seq"] = header.seq;
  r["time"] = header.time;
  r["instance"] = header.instance;
  if (!event.tenant.empty()) {
    r["tenantSeq"] = link.seq;
    r["tenantPrev"] = HexEncode(link.prev);
  }
  if (event.kind == AuditEvent::Kind::kRefusalSummary) {
    r["type"] = "refusal-summary";
    r["tenant"] = event.tenant;
    r["clientAddress"] = event.client_address;
    r["result"] = event.result;
    r["httpStatus"] = event.http_status;
    r["count"] = event.refusal_count;
    r["firstTime"] = FormatTimestamp(event.first_refusal);
    r["lastTime"] = FormatTimestamp(event.last_refusal);
    return r;
  }
  r["operation"] = event.operation;
  r["tenant"] = event.tenant;
  r["externalKeyId"] = event.external_key_id;
  r["keyLabel"] = event.key_label;
  r["accessKeyId"] = event.access_key_id;
  r["clientAddress"] = event.client_address;
  r["result"] = event.result;
  if (event.kind == AuditEvent::Kind::kAdmin) {
    r["type"] = "admin";
    // Admin details are an object by contract; anything else is wrapped so the type is stable
    // (none at all, e.g. a `{}` that became null on the way, is the empty object).
    if (event.details.is_null()) {
      r["details"] = nlohmann::json::object();
    } else {
      r["details"] =
          event.details.is_object() ? event.details : nlohmann::json{{"value", event.details}};
    }
    return r;
  }
  r["type"] = "request";
  r["requestMetadata"] =
      event.request_metadata.is_object() ? event.request_metadata : nlohmann::json::object();
  if (event.client_cert_subject) r["clientCertSubject"] = *event.client_cert_subject;
  r["httpMethod"] = event.http_method;
  r["httpPath"] = event.http_path;
  r["httpStatus"] = event.http_status;
  r["policyStatement"] = event.policy_statement;
  r["totalLatencyUs"] = event.total_latency.count();
  r["hsmLatencyUs"] = event.hsm_latency.count();
  if (event.plaintext_length) r["plaintextLength"] = *event.plaintext_length;
  if (event.ciphertext_length) r["ciphertextLength"] = *event.ciphertext_length;
  if (!event.encrypt_verification.empty()) r["encryptVerification"] = event.encrypt_verification;
  if (event.request_metadata_truncated.is_object() && !event.request_metadata_truncated.empty()) {
    r["requestMetadataTruncated"] = event.request_metadata_truncated;
  }
  return r;
}

std::string CheckpointPayload(const RecordHeader& header, const CheckpointFields& fields) {
  std::string p = fields.tenants ? "xks-audit-checkpoint-v2\n" : "xks-audit-checkpoint-v1\n";
  p += header.instance + "\n";
  p += std::to_string(header.seq) + "\n";
  p += header.time + "\n";
  p += std::to_string(fields.first_seq) + "\n";
  p += std::to_string(fields.last_seq) + "\n";
  p += HexEncode(fields.chain_head) + "\n";
  p += fields.key_id + "\n";
  p += fields.algorithm + "\n";
  if (fields.tenants) {
    p += std::to_string(fields.tenants->count) + "\n";
    p += HexEncode(fields.tenants->root) + "\n";
  }
  return p;
}

nlohmann::json BuildCheckpointRecord(const RecordHeader& header, const CheckpointFields& fields,
                                     const std::string& signature_b64) {
  nlohmann::json r = nlohmann::json::object();
  r["seq"] = header.seq;
  r["time"] = header.time;
  r["instance"] = header.instance;
  r["type"] = "checkpoint";
  r["firstSeq"] = fields.first_seq;
  r["lastSeq"] = fields.last_seq;
  r["chainHead"] = HexEncode(fields.chain_head);
  r["keyId"] = fields.key_id;
  r["alg"] = fields.algorithm;
  r["reason"] = fields.reason;
  r["sig"] = signature_b64;
  if (fields.tenants) {
    r["tenantCount"] = fields.tenants->count;
    r["tenantRoot"] = HexEncode(fields.tenants->root);
  }
  return r;
}

std::string ChainIdFor(const std::string& instance, const std::string& prefix) {
  return instance + "/" + prefix;
}

nlohmann::json BuildFileStartRecord(const RecordHeader& header, const std::string& chain_id,
                                    const std::string& prev_file, std::uint64_t prev_seq,
                                    const Sha256Digest& prev_chain) {
  nlohmann::json r = nlohmann::json::object();
  r["chainId"] = chain_id;
  r["seq"] = header.seq;
  r["time"] = header.time;
  r["instance"] = header.instance;
  r["type"] = "file-start";
  r["prevFile"] = prev_file;
  r["prevSeq"] = prev_seq;
  r["prevChain"] = HexEncode(prev_chain);
  r["format"] = 2;
  return r;
}

nlohmann::json BuildTenantHeadsRecord(const RecordHeader& header, const TenantHeads& heads) {
  nlohmann::json r = nlohmann::json::object();
  r["seq"] = header.seq;
  r["time"] = header.time;
  r["instance"] = header.instance;
  r["type"] = "tenant-heads";
  nlohmann::json list = nlohmann::json::object();
  for (const auto& [tenant, head] : heads) {
    list[tenant] = {{"seq", head.seq}, {"chain", HexEncode(head.chain)}};
  }
  r["heads"] = std::move(list);
  return r;
}

std::string CanonicalBody(const nlohmann::json& record) {
  // ensure_ascii keeps every line pure ASCII, so verifiers never face encoding questions; the
  // replace handler means hostile bytes (e.g. in a certificate subject) cannot throw here.
  return record.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

std::string SerializeRecordLine(const nlohmann::json& record, Sha256Digest& chain) {
  return ChainBodyLine(CanonicalBody(record), chain);
}

EventTemplate PrepareEventBody(const std::string& instance, const AuditEvent& event) {
  EventTemplate t;
  t.body = CanonicalBody(BuildEventRecord(RecordHeader{0, "", instance}, event));
  // Inside JSON strings every '"' is escaped, so an unescaped `"seq":` is always a key; nested
  // objects (requestMetadata, details) sort before "seq", and only scalars follow it ("tenant",
  // "tenantPrev", "tenantSeq", "time", ...), so the last occurrences are the top-level keys.
  std::size_t seq = t.body.rfind("\"seq\":0,");
  std::size_t time = t.body.rfind("\"time\":\"\"");
  bool ok = seq != std::string::npos && time != std::string::npos && time > seq;
  if (ok && !event.tenant.empty()) {
    std::size_t prev = t.body.rfind("\"tenantPrev\":\"");
    std::size_t tseq = t.body.rfind("\"tenantSeq\":0,");
    ok = prev != std::string::npos && tseq != std::string::npos && seq < prev && prev < tseq &&
         tseq < time;
    t.tenant = event.tenant;
    t.tenant_prev_pos = prev + 14;
    t.tenant_seq_pos = tseq + 12;
  }
  if (!ok) {
    std::fprintf(stderr, "fatal: audit record template without seq/time/tenant keys\n");
    std::abort();
  }
  t.seq_pos = seq + 6;
  t.time_pos = time + 8;
  return t;
}

std::string FillEventBody(const EventTemplate& tmpl, std::uint64_t seq, const std::string& time,
                          const TenantLink& link) {
  std::string out;
  out.reserve(tmpl.body.size() + 64);
  out.append(tmpl.body, 0, tmpl.seq_pos);
  out += std::to_string(seq);
  std::size_t from = tmpl.seq_pos + 1;  // past the placeholder "0"
  if (!tmpl.tenant.empty()) {
    out.append(tmpl.body, from, tmpl.tenant_prev_pos - from);
    out += HexEncode(link.prev);
    from = tmpl.tenant_prev_pos + 64;
    out.append(tmpl.body, from, tmpl.tenant_seq_pos - from);
    out += std::to_string(link.seq);
    from = tmpl.tenant_seq_pos + 1;
  }
  out.append(tmpl.body, from, tmpl.time_pos - from);
  out += time;
  out.append(tmpl.body, tmpl.time_pos, std::string::npos);
  return out;
}

std::string ChainBodyLine(std::string body, Sha256Digest& chain, Sha256Digest* body_digest) {
  const Sha256Digest digest = Sha256(body);
  if (body_digest != nullptr) *body_digest = digest;
  chain = Sha256({chain, digest});
  body.pop_back();  // the closing '}' of a non-empty object
  body += ",\"chain\":\"";
  body += HexEncode(chain);
  body += "\"}\n";
  return body;
}

std::optional<SplitLine> SplitRecordLine(std::string_view line) {
  static constexpr std::string_view kPrefix = ",\"chain\":\"";
  if (line.size() <= kChainSuffixSize + 1) return std::nullopt;
  std::string_view suffix = line.substr(line.size() - kChainSuffixSize);
  if (suffix.substr(0, kPrefix.size()) != kPrefix || suffix.substr(kChainSuffixSize - 2) != "\"}") {
    return std::nullopt;
  }
  auto chain = HexDecodeFixed<32>(suffix.substr(kPrefix.size(), 64));
  if (!chain) return std::nullopt;
  SplitLine out;
  out.body = std::string(line.substr(0, line.size() - kChainSuffixSize));
  out.body.push_back('}');
  out.chain = *chain;
  return out;
}

std::string RedactedLine(std::uint64_t seq, const Sha256Digest& body_digest) {
  nlohmann::json r = {{"type", "redacted"}, {"seq", seq}, {"digest", HexEncode(body_digest)}};
  return CanonicalBody(r) + "\n";
}

}  // namespace xks::audit
