#include "proxy/api/audit_metadata.h"

#include <string>

#include "proxy/api/log.h"
#include "proxy/api/router.h"

namespace xks::api {
namespace {

using nlohmann::json;

bool IsKnownField(std::string_view name) {
  for (std::string_view known : {"awsPrincipalArn", "kmsKeyArn", "kmsOperation", "kmsRequestId",
                                 "kmsViaService", "awsSourceVpc", "awsSourceVpce"}) {
    if (name == known) return true;
  }
  return false;
}

}  // namespace

std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) so the cut lands before a character's first byte.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

AuditedMetadata AuditedRequestMetadata(const json& request_metadata, std::size_t max_arn_bytes) {
  AuditedMetadata out;
  if (!request_metadata.is_object()) return out;
  json cut_fields = json::object();
  std::size_t extra_fields = 0, dropped = 0;
  for (const auto& [name, value] : request_metadata.items()) {
    const bool known = IsKnownField(name);
    if (!known) {
      if (extra_fields == kAuditedExtraFields || name.size() > kAuditedFieldNameBytes) {
        ++dropped;
        continue;
      }
      ++extra_fields;
    }
    const bool arn = name == "awsPrincipalArn" || name == "kmsKeyArn";
    const std::size_t cap = arn ? max_arn_bytes : kAuditedStringBytes;
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (text.size() > cap) {
        out.metadata[name] = std::string(Utf8Prefix(text, cap));
        cut_fields[name] = text.size();
        continue;
      }
      out.metadata[name] = value;
      continue;
    }
    // Known fields must be strings (validation refuses others), so this is an unknown field or a
    // request that is about to be refused; either way a large structure is not worth its space.
    const std::size_t size = value.dump(-1, ' ', false, json::error_handler_t::replace).size();
    if (size > kAuditedStringBytes) {
      out.metadata[name] = nullptr;
      cut_fields[name] = size;
      continue;
    }
    out.metadata[name] = value;
  }
  if (!cut_fields.empty()) out.truncated["fields"] = std::move(cut_fields);
  if (dropped > 0) out.truncated["droppedFields"] = dropped;
  return out;
}

void DescribeRequestForAudit(const HttpRequest& request,
                             const std::optional<std::string>& presented_access_key_id,
                             audit::AuditEvent& event) {
  event.http_method = request.method.substr(0, 16);
  event.http_path = std::string(PathOfTarget(request.target).substr(0, 256));
  event.client_address = request.connection.peer_address;
  event.client_cert_subject = request.connection.client_cert_subject;
  if (presented_access_key_id) {
    event.access_key_id = std::string(LoggableToken(*presented_access_key_id, 64));
  }
}

}  // namespace xks::api
