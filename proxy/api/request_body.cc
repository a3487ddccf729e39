#include "proxy/api/request_body.h"

#include <cctype>
#include <string>
#include <utility>

#include "proxy/api/audit_metadata.h"
#include "proxy/api/log.h"
#include "proxy/api/wire.h"

namespace xks::api {

bool IsJsonContentType(std::string_view value) {
  std::string_view media = value.substr(0, value.find(';'));
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (media.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kJson[i]) return false;
  }
  return true;
}

ProxyResult<void> ReadRequestBody(const HttpRequest& request, RequestContext& ctx) {
  if (auto ct = request.Header("Content-Type"); ct && !IsJsonContentType(*ct)) {
    return Fail(MakeError(ErrorName::kValidation, "Content-Type must be application/json."));
  }
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return Fail(std::move(body).error());
  ctx.body = std::move(body).value();
  if (auto md = ctx.body.find("requestMetadata"); md != ctx.body.end() && md->is_object()) {
    AuditedMetadata audited = AuditedRequestMetadata(*md, ctx.limits.max_arn_chars);
    ctx.event.request_metadata = std::move(audited.metadata);
    ctx.event.request_metadata_truncated = std::move(audited.truncated);
    if (auto id = md->find("kmsRequestId"); id != md->end() && id->is_string()) {
      // Escaped, not dropped: the log line must still match CloudTrail's request id.
      ctx.kms_request_id = EscapeLogValue(id->get_ref<const std::string&>(), kAuditedStringBytes);
    }
  }
  return ValidateRequestMetadata(ctx.body, ctx.route.operation, ctx.limits);
}

}  // namespace xks::api
