#pragma once
// What an audit record keeps of a request's requestMetadata. Every field is client-supplied and
// the body may hold up to server.max_body_bytes of it, so each string is capped (spec-valid values
// stay whole) and the cut is recorded; docs/audit-format.md documents the caps. Pure; thread-safe.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/audit/audit_event.h"
#include "proxy/common/http_message.h"

namespace xks::api {

/// Bytes kept of kmsRequestId, kmsOperation, kmsViaService, awsSourceVpc, awsSourceVpce and of
/// any unknown field's value. The spec sets no length for these; KMS sends UUIDs, API names,
/// service names and VPC ids, all far shorter.
inline constexpr std::size_t kAuditedStringBytes = 256;
/// Unknown (future) fields kept; further ones are dropped and counted.
inline constexpr std::size_t kAuditedExtraFields = 8;
/// Longest unknown field name kept; longer names are dropped and counted.
inline constexpr std::size_t kAuditedFieldNameBytes = 64;

struct AuditedMetadata {
  nlohmann::json metadata = nlohmann::json::object();
  /// {} when nothing was cut; else {"fields": {name: original size in bytes, ...}} and/or
  /// {"droppedFields": N}.
  nlohmann::json truncated = nlohmann::json::object();
};

/// The audited copy of `request_metadata` (an object; anything else gives {}). awsPrincipalArn
/// and kmsKeyArn keep up to `max_arn_bytes` (the configured api.max_arn_chars, at least the
/// spec's 2048, so every ARN the proxy accepts is kept whole); other strings up to
/// kAuditedStringBytes, cut on a UTF-8 character boundary. An unknown field whose value is not a
/// string is kept when its compact JSON fits kAuditedStringBytes, else recorded as null.
AuditedMetadata AuditedRequestMetadata(const nlohmann::json& request_metadata,
                                       std::size_t max_arn_bytes);

/// Fills the fields of `event` that describe the request as received (http_method, http_path,
/// client_address, client_cert_subject, access_key_id), each bounded as a record keeps it: the
/// method to 16 bytes, the path (without query) to 256 characters (the spec's URI limit), the
/// presented access key id (parsed from Authorization by the caller) kept only when it is 1..64
/// printable characters ("-" otherwise). Used for every request record, including the server's
/// own refusals, so no client can grow a record through these fields.
void DescribeRequestForAudit(const HttpRequest& request,
                             const std::optional<std::string>& presented_access_key_id,
                             audit::AuditEvent& event);

/// The first at most `max_bytes` bytes of valid UTF-8 `text`, never splitting a character.
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);

}  // namespace xks::api
