#include "proxy/api/access_log.h"

namespace xks::api {

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
  // A 429 says which limit refused (e.g. "tenant acme requests_per_second 500").
  const bool wants_detail =
      IsServerErrorLine(status, audit_failed) || status == 401 || status == 429;
  if (wants_detail && !ctx.log_detail.empty()) {
    line += " detail=" + EscapeLogDetail(ctx.log_detail);
  }
  return line;
}

}  // namespace xks::api
