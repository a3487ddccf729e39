#include "proxy/api/access_log.h"

#include "proxy/common/log.h"

namespace xks::api {
namespace {

// The detail goes to the operator for server errors, 401s (why a signature was refused) and
// 429s (which limit refused, e.g. "tenant acme requests_per_second 500").
bool WantsDetail(int status, bool audit_failed) {
  return IsServerErrorLine(status, audit_failed) || status == 401 || status == 429;
}

void AddString(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  AppendJsonString(out, name);
  out += ':';
  AppendJsonString(out, value);
}

void AddNumber(std::string& out, std::string_view name, long long value) {
  out += ',';
  AppendJsonString(out, name);
  out += ':';
  out += std::to_string(value);
}

std::string RequestMetadataJson(const nlohmann::json& metadata) {
  std::string out = "{";
  if (metadata.is_object()) {
    for (const auto& [name, value] : metadata.items()) {
      if (!value.is_string()) continue;
      if (out.size() > 1) out += ',';
      AppendJsonString(out, name);
      out += ':';
      AppendJsonString(out, value.get_ref<const std::string&>());
    }
  }
  return out + "}";
}

}  // namespace

bool IsServerErrorLine(int status, bool audit_failed) { return status >= 500 || audit_failed; }

LogLevel AccessLogLevel(int status, bool audit_failed) {
  return IsServerErrorLine(status, audit_failed) ? LogLevel::kWarning : LogLevel::kInfo;
}

std::string AccessLogLine(const RequestContext& ctx, int status, bool audit_failed) {
  const audit::AuditEvent& ev = ctx.event;
  std::string line =
      "xks request tenant=" + (ev.tenant.empty() ? "-" : ev.tenant) + " op=" + ev.operation +
      " key=" + std::string(ev.external_key_id.empty() ? "-" : ev.external_key_id) +
      " kmsRequestId=" + ctx.kms_request_id.value_or("-") + " status=" + std::to_string(status) +
      " result=" + ev.result +
      (ev.policy_statement.empty() ? "" : " policy=" + EscapeLogValue(ev.policy_statement)) +
      " latency_us=" + std::to_string(ev.total_latency.count()) +
      " hsm_us=" + std::to_string(ev.hsm_latency.count()) + (audit_failed ? " audit=FAILED" : "");
  // The verifier's detail never holds a secret, signature or string to sign, but it may quote
  // what the client sent (an unknown access key id, a header value): escaped, and last.
  if (WantsDetail(status, audit_failed) && !ctx.log_detail.empty()) {
    line += " detail=" + EscapeLogDetail(ctx.log_detail);
  }
  return line;
}

std::string_view AnsweredErrorName(const audit::AuditEvent& event, int status, bool audit_failed) {
  if (!audit_failed || event.result != "OK" || status == 200) return event.result;
  return status == 429 ? "ThrottlingException" : "InternalException";
}

std::string AccessLogJson(const RequestContext& ctx, int status, bool audit_failed) {
  const audit::AuditEvent& ev = ctx.event;
  std::string out = "\"event\":\"request\"";
  AddString(out, "tenant", ev.tenant);
  AddString(out, "operation", ev.operation);
  AddString(out, "key", ev.external_key_id);
  // The id as the client sent it (ctx.kms_request_id is the text line's percent-escaped form).
  const auto id = ev.request_metadata.is_object() ? ev.request_metadata.find("kmsRequestId")
                                                  : ev.request_metadata.end();
  if (id != ev.request_metadata.end() && id->is_string()) {
    AddString(out, "kmsRequestId", id->get_ref<const std::string&>());
  }
  AddNumber(out, "status", status);
  const std::string_view answered = AnsweredErrorName(ev, status, audit_failed);
  AddString(out, "result", answered == "OK" ? "OK" : "ERROR");
  if (answered != "OK") AddString(out, "errorName", answered);
  if (!ev.policy_statement.empty()) AddString(out, "policy", ev.policy_statement);
  if (!ctx.member.token_id().empty()) AddString(out, "member", ctx.member.token_id());
  AddNumber(out, "latencyUs", ev.total_latency.count());
  AddNumber(out, "hsmUs", ev.hsm_latency.count());
  if (audit_failed) out += ",\"auditFailed\":true";
  out += ",\"requestMetadata\":" + RequestMetadataJson(ev.request_metadata);
  if (WantsDetail(status, audit_failed) && !ctx.log_detail.empty()) {
    AddString(out, "detail", ctx.log_detail.substr(0, 512));
  }
  return out;
}

}  // namespace xks::api
