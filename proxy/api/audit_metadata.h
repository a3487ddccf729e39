#pragma once
// What an audit record keeps of a request's requestMetadata. Every field is client-supplied and
// the body may hold up to server.max_body_bytes of it, so each string is capped (spec-valid values
// stay whole) and the cut is recorded; docs/audit-format.md documents the caps. Pure; thread-safe.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

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

/// The first at most `max_bytes` bytes of valid UTF-8 `text`, never splitting a character.
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);

}  // namespace xks::api
