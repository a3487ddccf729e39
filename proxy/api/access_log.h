#pragma once
// The one access-log line per request (not for pings):
//   xks request tenant=acme op=Encrypt key=k1 kmsRequestId=<id> status=200 result=OK
//       [policy=<deciding statement>] latency_us=812 hsm_us=640 [audit=FAILED] [detail=<why>]
// Client-supplied values are escaped (kmsRequestId with EscapeLogValue when parsed, detail with
// EscapeLogDetail here), so no request can end a field or start another line. Pure; thread-safe.

#include <string>

#include "proxy/api/log.h"
#include "proxy/api/request_context.h"

namespace xks::api {

/// True when the line is for a server error: a 5xx answer or a failed audit append (WARN).
bool IsServerErrorLine(int status, bool audit_failed);

/// The level the line is logged at: kWarning for server errors, kInfo otherwise.
LogLevel AccessLogLevel(int status, bool audit_failed);

/// The line for a finished request. ctx.log_detail is appended (escaped and capped) only for
/// server errors and 401s: why a signature was refused is the operator's first question, and the
/// client only ever gets one fixed message; other 4xx keep their lines short.
std::string AccessLogLine(const RequestContext& ctx, int status, bool audit_failed);

/// The same line as JSON object members for the `json` log format (log.format), e.g.
///   "event":"request","tenant":"acme","operation":"Encrypt","key":"k1","kmsRequestId":"...",
///   "status":200,"result":"OK","latencyUs":812,"hsmUs":640,"requestMetadata":{...}
/// plus "errorName" (failures), "policy", "member" (the fleet member that ran it),
/// "auditFailed":true and "detail" (as in the text line). Every string, the client's included,
/// goes through AppendJsonString (proxy/common/log.h): no value can end its string or the line.
/// requestMetadata keeps its string members only (the spec's identifiers; never plaintext).
std::string AccessLogJson(const RequestContext& ctx, int status, bool audit_failed);

/// The errorName a request was answered with, "OK" for success: the event's result, except that
/// a failed audit append turned a success into the error the client got.
std::string_view AnsweredErrorName(const audit::AuditEvent& event, int status, bool audit_failed);

}  // namespace xks::api
