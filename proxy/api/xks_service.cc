#include "proxy/api/xks_service.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/base64.h"
#include "proxy/api/audit_metadata.h"
#include "proxy/api/ciphertext_metadata.h"
#include "proxy/api/hsm_aad.h"
#include "proxy/api/router.h"
#include "proxy/api/wire.h"

namespace xks::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Spec: "the total URI length MUST NOT exceed 256 characters". We only see the request-target,
// which is shorter than the full URI, so anything longer cannot be a URI KMS was configured with.
constexpr std::size_t kMaxTargetLength = 256;
// Cap on cached key attribute entries; the cache is emptied when full (rare: one entry per key).
constexpr std::size_t kMaxCachedAttributes = 4096;

constexpr std::string_view kInvalidCiphertextMessage =
    "The ciphertext, initialization vector, additional authenticated data, ciphertextMetadata or "
    "authentication tag is corrupted, missing or otherwise invalid.";

std::chrono::microseconds Micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse ErrorResponse(const Error& error, int status) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = ErrorBody(error);
  return r;
}

std::string KeySpec(const KeyAttributes& a) {
  if (a.key_type == "AES" && a.bits == 256) return "AES_256";
  if (a.bits == 0) return a.key_type.empty() ? "OTHER" : a.key_type;
  return (a.key_type.empty() ? "OTHER" : a.key_type) + "_" + std::to_string(a.bits);
}

json KeyUsage(const KeyAttributes& a) {
  json usage = json::array();
  // Spec allows at most ten values; PKCS#11 gives us at most seven.
  const std::pair<bool, const char*> flags[] = {
      {a.encrypt, "ENCRYPT"}, {a.decrypt, "DECRYPT"}, {a.sign, "SIGN"},    {a.verify, "VERIFY"},
      {a.wrap, "WRAP"},       {a.unwrap, "UNWRAP"},   {a.derive, "DERIVE"}};
  for (const auto& [set, name] : flags) {
    if (set) usage.push_back(name);
  }
  return usage;
}

bool IsAes256(const KeyAttributes& a) { return a.key_type == "AES" && a.bits == 256; }

// InvalidKeyUsage unless the key is AES-256 and may encrypt (or decrypt).
ProxyResult<void> RequireAes256For(const KeyAttributes& a, bool encrypt) {
  if (IsAes256(a) && (encrypt ? a.encrypt : a.decrypt)) return {};
  return Fail(MakeError(ErrorName::kInvalidKeyUsage,
                        encrypt ? "The external key is not an AES-256 key permitted to encrypt."
                                : "The external key is not an AES-256 key permitted to decrypt."));
}

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

}  // namespace

struct XksService::Context {
  std::shared_ptr<const tenant::TenantRegistry> registry;
  const tenant::Tenant* tenant = nullptr;
  Route route;
  bool key_operation = false;
  audit::AuditEvent event;
  Clock::time_point start;
  Deadline deadline;
  Clock::duration hsm_time{};
  json body;
  RequestLimits limits;
  std::optional<std::string> kms_request_id;  ///< escaped for the log line (EscapeLogValue)
  std::string log_detail;
  bool authenticated = false;  ///< SigV4 verified with one of the routed tenant's credentials
  bool audit_exempt = false;
  bool method_not_allowed = false;
};

XksService::XksService(RegistryProvider registry, KeyBackend& backend,
                       RequestAuthenticator& authenticator, audit::AuditSink& audit,
                       HealthMonitor& health, XksServiceOptions options)
    : registry_(std::move(registry)),
      backend_(backend),
      authenticator_(authenticator),
      audit_(audit),
      health_(health),
      options_(std::move(options)),
      logger_(options_.logger != nullptr ? *options_.logger : DefaultLogger()),
      auth_failures_(options_.auth_failures, options_.clock) {}

HttpResponse XksService::Handle(const HttpRequest& request) {
  Context ctx;
  ctx.start = options_.clock();
  ctx.registry = registry_();
  if (!ctx.registry) {
    // The provider's contract is a non-null snapshot; without one nothing can be routed or audited.
    std::fprintf(stderr, "fatal: XksService registry provider returned null\n");
    std::abort();
  }
  const tenant::Config& config = ctx.registry->config();
  const Clock::time_point base =
      request.received_at == Clock::time_point{} ? ctx.start : request.received_at;
  ctx.deadline = base + config.server.hsm_time_budget;
  ctx.limits = RequestLimits{config.api.max_plaintext_bytes, config.api.max_ciphertext_bytes,
                             config.api.max_aad_bytes, config.api.max_arn_chars};
  HttpResponse response = Process(request, ctx);
  if (!ctx.audit_exempt) Finish(ctx, response);
  response.authenticated = ctx.authenticated;
  return response;
}

bool XksService::LikelyAuthentic(const HttpRequest& request) const {
  if (request.connection.authenticated) return true;
  if (request.target.size() > kMaxTargetLength) return false;
  const auto route = ParseXksPath(PathOfTarget(request.target));
  if (!route) return false;
  const auto registry = registry_();
  const tenant::Tenant* tenant =
      registry ? registry->FindByPathPrefix(route->path_prefix) : nullptr;
  if (tenant == nullptr) return false;
  const auto presented = authenticator_.PresentedAccessKeyId(request);
  if (!presented || !tenant->HasAccessKeyId(*presented)) return false;
  return !auth_failures_.RecentlyFailed(audit::SourceAddress(request.connection.peer_address));
}

HttpResponse XksService::Process(const HttpRequest& request, Context& ctx) {
  audit::AuditEvent& ev = ctx.event;
  ev.kind = audit::AuditEvent::Kind::kRequest;
  ev.operation = "Unknown";
  DescribeRequestForAudit(request, authenticator_.PresentedAccessKeyId(request), ev);

  auto result = Dispatch(request, ctx);
  if (result.ok()) {
    ev.result = "OK";
    ev.http_status = result->status;
    return std::move(result).value();
  }
  const Error& error = result.error();
  ctx.log_detail = error.log_detail;
  ev.result = std::string(ErrorNameString(error.name));
  ev.http_status = HttpStatus(error.name);
  HttpResponse response = ErrorResponse(error, ev.http_status);
  return response;
}

ProxyResult<HttpResponse> XksService::Dispatch(const HttpRequest& request, Context& ctx) {
  audit::AuditEvent& ev = ctx.event;
  const tenant::Config& config = ctx.registry->config();
  const std::string_view path = PathOfTarget(request.target);

  // Load balancers poll this without credentials; it says only that the process answers.
  if (!config.server.ping_path.empty() && path == config.server.ping_path &&
      (request.method == "GET" || request.method == "HEAD")) {
    ctx.audit_exempt = true;
    return JsonResponse(200, json{{"status", "OK"}});
  }

  if (request.target.size() > kMaxTargetLength) {
    return Fail(
        MakeError(ErrorName::kInvalidUriPath, "The request URI is longer than 256 characters."));
  }
  auto route = ParseXksPath(path);
  const tenant::Tenant* tenant =
      route ? ctx.registry->FindByPathPrefix(route->path_prefix) : nullptr;
  if (tenant == nullptr) {
    return Fail(MakeError(ErrorName::kInvalidUriPath, "The URI path is not a valid XKS API path."));
  }
  ctx.route = *route;
  ctx.tenant = tenant;
  ctx.key_operation = route->operation != Operation::kGetHealthStatus;
  ev.operation = std::string(OperationName(route->operation));
  ev.tenant = tenant->name;
  if (tenant::IsValidExternalKeyId(route->external_key_id)) {
    ev.external_key_id = route->external_key_id;
  } else if (ctx.key_operation) {
    // The key id is part of the URI (spec "API operations"): outside its character set or length
    // the path itself is invalid.
    return Fail(MakeError(ErrorName::kInvalidUriPath,
                          "The URI path is not a valid XKS API path: externalKeyId must be 1 to "
                          "128 characters of A-Z a-z 0-9 - . _"));
  }

  if (request.method != "POST") {
    ctx.method_not_allowed = true;  // Finish turns the status into 405
    return Fail(MakeError(ErrorName::kUnsupportedOperation,
                          "Method not allowed: XKS API operations accept only POST."));
  }

  auto caller = authenticator_.Authenticate(request, tenant->name);
  if (!caller.ok()) {
    // Only a failure with one of this tenant's own access key ids is remembered: those are the
    // requests LikelyAuthentic would otherwise trust (without a valid id it never does).
    if (tenant->HasAccessKeyId(ev.access_key_id)) {
      auth_failures_.NoteFailure(audit::SourceAddress(request.connection.peer_address));
    }
    Error e = std::move(caller).error();
    e.name = ErrorName::kAuthenticationFailed;  // whatever the verifier said, the client sees 401
    e.message = "The request signature could not be verified.";
    return Fail(std::move(e));
  }
  // Defence in depth: the verifier must only accept this tenant's credentials.
  if (!tenant->HasAccessKeyId(caller->access_key_id)) {
    return Fail(MakeError(ErrorName::kAuthenticationFailed,
                          "The request signature could not be verified.",
                          "authenticator accepted an access key id of another tenant"));
  }
  ev.access_key_id = caller->access_key_id;
  ctx.authenticated = true;

  if (auto ct = request.Header("Content-Type"); ct && !IsJsonContentType(*ct)) {
    return Fail(MakeError(ErrorName::kValidation, "Content-Type must be application/json."));
  }
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return Fail(std::move(body).error());
  ctx.body = std::move(body).value();
  if (auto md = ctx.body.find("requestMetadata"); md != ctx.body.end() && md->is_object()) {
    AuditedMetadata audited = AuditedRequestMetadata(*md, ctx.limits.max_arn_chars);
    ev.request_metadata = std::move(audited.metadata);
    ev.request_metadata_truncated = std::move(audited.truncated);
    if (auto id = md->find("kmsRequestId"); id != md->end() && id->is_string()) {
      // Escaped, not dropped: the log line must still match CloudTrail's request id.
      ctx.kms_request_id = EscapeLogValue(id->get_ref<const std::string&>(), kAuditedStringBytes);
    }
  }
  if (auto v = ValidateRequestMetadata(ctx.body, route->operation, ctx.limits); !v.ok()) {
    return Fail(std::move(v).error());
  }

  switch (route->operation) {
    case Operation::kGetHealthStatus:
      return GetHealthStatus(ctx);
    case Operation::kGetKeyMetadata:
      return GetKeyMetadata(ctx);
    case Operation::kEncrypt:
      return Encrypt(ctx);
    case Operation::kDecrypt:
      return Decrypt(ctx);
  }
  return Fail(MakeError(ErrorName::kInternal, "Internal error."));
}

namespace {

// Key lookup shared by the three key operations: spec charset first (400), then the tenant's map
// (404). Only the tenant's own map is consulted, which is what keeps tenants apart.
ProxyResult<const tenant::TenantKey*> LookupKey(const tenant::Tenant& tenant,
                                                const std::string& key_id) {
  if (!tenant::IsValidExternalKeyId(key_id)) {  // routing refuses these first; kept as a guard
    return Fail(MakeError(ErrorName::kInvalidUriPath,
                          "The URI path is not a valid XKS API path: externalKeyId must be 1 to "
                          "128 characters of A-Z a-z 0-9 - . _"));
  }
  const tenant::TenantKey* key = tenant.FindKey(key_id);
  if (key == nullptr) {
    return Fail(MakeError(ErrorName::kKeyNotFound, "The external key was not found."));
  }
  return key;
}

Error TenantDisabled() {
  return MakeError(ErrorName::kInvalidState, "The key store is disabled in the XKS proxy.");
}

// Encrypt and Decrypt need an enabled key of an enabled tenant: disabled states are InvalidState.
ProxyResult<const tenant::TenantKey*> UsableKey(const tenant::Tenant& tenant,
                                                const std::string& key_id) {
  if (tenant.disabled) return Fail(TenantDisabled());
  auto key = LookupKey(tenant, key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  if ((*key)->disabled) {
    return Fail(MakeError(ErrorName::kInvalidState, "The external key is disabled."));
  }
  return key;
}

}  // namespace

ProxyResult<HttpResponse> XksService::GetHealthStatus(Context& ctx) {
  const tenant::Tenant& tenant = *ctx.tenant;
  if (tenant.disabled) return Fail(TenantDisabled());
  HealthStatus status = health_.Status(tenant.token_id);
  // Fail-closed auditing makes key operations fail while the audit log cannot be written.
  if (status == HealthStatus::kActive && !audit_.Healthy()) status = HealthStatus::kDegraded;
  const tenant::ApiConfig& api = ctx.registry->config().api;
  json body = {
      {"xksProxyFleetSize", api.fleet_size},
      {"xksProxyVendor", options_.proxy_vendor},
      {"xksProxyModel", options_.proxy_model},
      {"ekmVendor", api.ekm_vendor},
      {"ekmFleetDetails", json::array({json{{"id", tenant.token_id},
                                            {"model", backend_.TokenModel(tenant.token_id)},
                                            {"healthStatus", HealthStatusString(status)}}})}};
  return JsonResponse(200, body);
}

ProxyResult<HttpResponse> XksService::GetKeyMetadata(Context& ctx) {
  const tenant::Tenant& tenant = *ctx.tenant;
  if (tenant.disabled) return Fail(TenantDisabled());
  auto key = LookupKey(tenant, ctx.route.external_key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  const tenant::KeyVersion* version = (*key)->Current();
  ctx.event.key_label = version->label;
  auto attrs = Attributes(ctx, KeyLocation{tenant.token_id, version->label});
  if (!attrs.ok()) return Fail(std::move(attrs).error());
  json body = {{"keySpec", KeySpec(*attrs)},
               {"keyUsage", KeyUsage(*attrs)},
               {"keyStatus", (*key)->disabled ? "DISABLED" : "ENABLED"}};
  return JsonResponse(200, body);
}

ProxyResult<HttpResponse> XksService::Encrypt(Context& ctx) {
  const tenant::Tenant& tenant = *ctx.tenant;
  auto input = ParseEncryptInput(ctx.body, ctx.limits);
  if (!input.ok()) return Fail(std::move(input).error());
  EncryptInput& in = input.value();
  ctx.event.plaintext_length = in.plaintext.size();
  auto key = UsableKey(tenant, ctx.route.external_key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  const tenant::KeyVersion* version = (*key)->Current();
  ctx.event.key_label = version->label;
  if (version->retired) {
    return Fail(MakeError(ErrorName::kInvalidState,
                          "The key version that made this ciphertext has been retired."));
  }
  const KeyLocation location{tenant.token_id, version->label};
  auto attrs = Attributes(ctx, location);
  if (!attrs.ok()) return Fail(std::move(attrs).error());
  if (auto usable = RequireAes256For(*attrs, true); !usable.ok()) {
    return Fail(std::move(usable).error());
  }

  const std::vector<std::uint8_t> metadata =
      EncodeCiphertextMetadata({version->version, ComputeTenantBinding(tenant.name)});
  const SecretBytes hsm_aad = BuildHsmAad(in.aad.span(), metadata);

  auto t0 = options_.clock();
  auto sealed = backend_.Encrypt(location, in.plaintext.span(), hsm_aad.span(), ctx.deadline);
  ctx.hsm_time += options_.clock() - t0;
  if (!sealed.ok()) return Fail(BackendError(ctx, "Encrypt", std::move(sealed).error(), false));
  const SealedData& out = sealed.value();
  if ((out.iv.size() != 12 && out.iv.size() != 16) ||
      out.ciphertext.size() != in.plaintext.size()) {
    return Fail(MakeError(ErrorName::kInternal, "The HSM returned a malformed result.",
                          "backend Encrypt returned wrong IV or ciphertext length"));
  }

  // Appendix C order: the CDIV is computed over the output before the verifying decrypt, so a
  // corruption after this point is caught by KMS rather than baked into a matching CDIV.
  std::string cdiv;
  if (in.cdiv_requested)
    cdiv = ComputeCdivSha256(in.aad.span(), metadata, out.iv, out.ciphertext, out.tag);

  const std::string& verify = ctx.registry->config().api.verify_encrypt;
  const bool verification_wanted =
      verify == "always" || (verify == "when_cdiv_requested" && in.cdiv_requested);
  if (!verification_wanted) {
    ctx.event.encrypt_verification = "not_requested";
  } else if (!attrs->decrypt) {
    // An encrypt-only key (no CKA_DECRYPT) cannot run the verifying decrypt, and must still
    // encrypt: KMS asks for a CDIV on every encrypt. The CDIV above still lets KMS detect a
    // corruption in transit; the audit record says the HSM round trip was skipped and why.
    ctx.event.encrypt_verification = "skipped_key_cannot_decrypt";
  } else {
    ctx.event.encrypt_verification = "failed";  // until the round trip proves otherwise
    t0 = options_.clock();
    auto check =
        backend_.Decrypt(location, out.iv, out.ciphertext, out.tag, hsm_aad.span(), ctx.deadline);
    ctx.hsm_time += options_.clock() - t0;
    if (!check.ok()) {
      Error e = BackendError(ctx, "Encrypt verification", std::move(check).error(), false);
      if (e.name != ErrorName::kDependencyTimeout) {
        e = MakeError(ErrorName::kInternal, "The encrypt result could not be verified.",
                      e.log_detail);
      }
      return Fail(std::move(e));
    }
    if (!ConstantTimeEquals(check->span(), in.plaintext.span())) {
      return Fail(MakeError(ErrorName::kInternal, "The encrypt result could not be verified.",
                            "verifying decrypt returned different plaintext"));
    }
    ctx.event.encrypt_verification = "decrypted";
  }

  ctx.event.ciphertext_length = out.ciphertext.size();
  json body = {{"ciphertext", Base64Encode(out.ciphertext)},
               {"ciphertextMetadata", Base64Encode(metadata)},
               {"initializationVector", Base64Encode(out.iv)},
               {"authenticationTag", Base64Encode(out.tag)}};
  if (in.cdiv_requested) body["ciphertextDataIntegrityValue"] = cdiv;
  return JsonResponse(200, body);
}

ProxyResult<HttpResponse> XksService::Decrypt(Context& ctx) {
  const tenant::Tenant& tenant = *ctx.tenant;
  auto input = ParseDecryptInput(ctx.body, ctx.limits);
  if (!input.ok()) return Fail(std::move(input).error());
  DecryptInput& in = input.value();
  ctx.event.ciphertext_length = in.ciphertext.size();
  auto key = UsableKey(tenant, ctx.route.external_key_id);
  if (!key.ok()) return Fail(std::move(key).error());

  // Usage first: a key that may not decrypt answers InvalidKeyUsage whatever the ciphertext
  // (KMS maps the two errors differently). The current version decides here; the version named
  // by the metadata is checked again below.
  const tenant::KeyVersion* current = (*key)->Current();
  if (current == nullptr) {  // every version retired: nothing may be decrypted with this key
    return Fail(MakeError(ErrorName::kInvalidState, "The external key has no active version."));
  }
  auto current_attrs = Attributes(ctx, KeyLocation{tenant.token_id, current->label});
  if (!current_attrs.ok()) return Fail(std::move(current_attrs).error());
  if (auto usable = RequireAes256For(*current_attrs, false); !usable.ok()) {
    ctx.event.key_label = current->label;
    return Fail(std::move(usable).error());
  }

  // Every ciphertext this proxy makes carries our metadata; without it (or with a foreign tenant
  // binding) the ciphertext cannot be ours for this tenant. One message for every case, so the
  // response is no oracle on which part was wrong.
  auto invalid = [](std::string detail) {
    return MakeError(ErrorName::kInvalidCiphertext, std::string(kInvalidCiphertextMessage),
                     std::move(detail));
  };
  if (in.metadata.empty()) return Fail(invalid("ciphertextMetadata absent"));
  auto metadata = DecodeCiphertextMetadata(in.metadata);
  if (!metadata) return Fail(invalid("ciphertextMetadata malformed or unknown format version"));
  const TenantBinding binding = ComputeTenantBinding(tenant.name);
  if (!ConstantTimeEquals(metadata->tenant_binding, binding)) {
    return Fail(invalid("ciphertextMetadata bound to another tenant"));
  }
  const tenant::KeyVersion* version = (*key)->Find(metadata->key_version);
  if (version == nullptr) {
    return Fail(invalid("ciphertextMetadata names key version " +
                        std::to_string(metadata->key_version) + " which is not configured"));
  }
  ctx.event.key_label = version->label;
  if (version->retired) {
    return Fail(MakeError(ErrorName::kInvalidState,
                          "The key version that made this ciphertext has been retired."));
  }
  const KeyLocation location{tenant.token_id, version->label};
  auto attrs = Attributes(ctx, location);
  if (!attrs.ok()) return Fail(std::move(attrs).error());
  if (auto usable = RequireAes256For(*attrs, false); !usable.ok()) {
    return Fail(std::move(usable).error());
  }

  const SecretBytes hsm_aad = BuildHsmAad(in.aad.span(), in.metadata);
  const auto t0 = options_.clock();
  auto plaintext =
      backend_.Decrypt(location, in.iv, in.ciphertext, in.tag, hsm_aad.span(), ctx.deadline);
  ctx.hsm_time += options_.clock() - t0;
  if (!plaintext.ok()) {
    return Fail(BackendError(ctx, "Decrypt", std::move(plaintext).error(), true));
  }
  if (plaintext->size() != in.ciphertext.size()) {
    return Fail(MakeError(ErrorName::kInternal, "The HSM returned a malformed result.",
                          "backend Decrypt returned wrong plaintext length"));
  }
  ctx.event.plaintext_length = plaintext->size();
  return JsonResponse(200, json{{"plaintext", Base64Encode(plaintext->span())}});
}

ProxyResult<KeyAttributes> XksService::Attributes(Context& ctx, const KeyLocation& key) {
  const auto ttl = ctx.registry->config().api.key_attribute_cache_ttl;
  const std::string cache_key = key.token_id + '\n' + key.key_label;
  const auto now = options_.clock();
  if (ttl.count() > 0) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = attribute_cache_.find(cache_key);
    if (it != attribute_cache_.end() && now < it->second.expires) return it->second.attributes;
  }
  auto attrs = backend_.Describe(key, ctx.deadline);
  ctx.hsm_time += options_.clock() - now;
  if (!attrs.ok()) return Fail(BackendError(ctx, "Describe", std::move(attrs).error(), false));
  if (ttl.count() > 0) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (attribute_cache_.size() >= kMaxCachedAttributes) attribute_cache_.clear();
    attribute_cache_[cache_key] = CachedAttributes{*attrs, now + ttl};
  }
  return attrs;
}

Error XksService::BackendError(Context&, const char* call, Error error, bool decrypt_call) {
  // Clients get a fixed message per error name; whatever the backend wrote goes to the log only.
  std::string detail = std::string(call) + ": " + error.message +
                       (error.log_detail.empty() ? "" : " (" + error.log_detail + ")");
  switch (error.name) {
    case ErrorName::kKeyNotFound:
      return MakeError(ErrorName::kKeyNotFound, "The external key was not found in the HSM.",
                       std::move(detail));
    case ErrorName::kInvalidCiphertext:
      if (decrypt_call) {
        return MakeError(ErrorName::kInvalidCiphertext, std::string(kInvalidCiphertextMessage),
                         std::move(detail));
      }
      break;
    case ErrorName::kInvalidKeyUsage:
      return MakeError(ErrorName::kInvalidKeyUsage,
                       "The external key does not support the requested operation.",
                       std::move(detail));
    case ErrorName::kDependencyTimeout:
      return MakeError(ErrorName::kDependencyTimeout,
                       "The HSM did not answer within the time budget.", std::move(detail));
    case ErrorName::kThrottling:
      return MakeError(ErrorName::kThrottling, "The HSM is busy; retry later.", std::move(detail));
    default:
      break;
  }
  return MakeError(ErrorName::kInternal, "The HSM could not perform the operation.",
                   std::move(detail));
}

void XksService::Finish(Context& ctx, HttpResponse& response) {
  audit::AuditEvent& ev = ctx.event;
  // The one status the errorName table cannot express: 405 for a valid path with another method
  // (spec "API operations": MUST reject with 405). The body keeps a spec errorName.
  if (ctx.method_not_allowed) {
    response.status = 405;
    response.headers.push_back({"Allow", "POST"});
    ev.http_status = 405;
  }
  ev.hsm_latency = Micros(ctx.hsm_time);
  ev.total_latency = Micros(options_.clock() - ctx.start);

  bool audit_failed = false;
  if (!ctx.authenticated) {
    // Nothing but a refusal can happen before authentication, and no key material waits on its
    // record: queue it, so a flood of unsigned requests never holds a worker for a disk flush.
    RecordRefusal(ev);
  } else if (auto appended = audit_.Append(ev); !appended.ok()) {
    audit_failed = true;
    // Fail closed: no key material result leaves without its audit record.
    if (ctx.key_operation && response.status == 200) {
      const Error e = MakeError(ErrorName::kInternal, "The request could not be audited.");
      response = ErrorResponse(e, HttpStatus(e.name));
      ctx.log_detail = "audit append failed: " + appended.error().log_detail;
    }
  }
  const bool server_error = response.status >= 500 || audit_failed;
  std::string line =
      "xks request tenant=" + (ev.tenant.empty() ? "-" : ev.tenant) + " op=" + ev.operation +
      " key=" + std::string(ev.external_key_id.empty() ? "-" : ev.external_key_id) +
      " kmsRequestId=" + ctx.kms_request_id.value_or("-") +
      " status=" + std::to_string(response.status) + " result=" + ev.result +
      " latency_us=" + std::to_string(ev.total_latency.count()) +
      " hsm_us=" + std::to_string(ev.hsm_latency.count()) + (audit_failed ? " audit=FAILED" : "");
  // Why a signature was refused is the operator's first question; the client only ever gets the
  // one fixed message. The verifier's detail never holds a secret, signature or string to sign.
  const bool auth_failure = response.status == 401;
  if ((server_error || auth_failure) && !ctx.log_detail.empty()) {
    line += " detail=" + ctx.log_detail;
  }
  logger_.Log(server_error ? LogLevel::kWarning : LogLevel::kInfo, line);
}

void XksService::RecordRefusal(const audit::AuditEvent& event) {
  if (options_.refusals != nullptr) {
    options_.refusals->Record(event);
  } else {
    audit_.AppendNoWait(event);
  }
}

}  // namespace xks::api
