#include "proxy/auth/sigv4_verifier.h"

#include <openssl/crypto.h>

#include <utility>

#include "proxy/auth/authorization_header.h"
#include "proxy/auth/signing_key_cache.h"
#include "proxy/auth/sigv4_canonical.h"

namespace xks::auth {
namespace {

constexpr std::string_view kAmzDate = "x-amz-date";
constexpr std::string_view kContentSha256 = "x-amz-content-sha256";

// Client-controlled text goes into logs; keep it short and printable so it cannot forge log lines.
std::string Printable(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const char c = s[i];
    out.push_back(c >= ' ' && c < 0x7f ? c : '?');
  }
  if (s.size() > kMax) out.append("...");
  return out;
}

bool Contains(const std::vector<std::string>& sorted, std::string_view name) {
  for (const auto& s : sorted) {
    if (s == name) return true;
  }
  return false;
}

// The checks of Verify, in the order it runs them; each failure names its reason for the log
// (the client only ever sees the one fixed message). `akid_note` names the presented access key id.

ProxyResult<ParsedAuthorization> ParseTheAuthorizationHeader(const HttpRequest& request) {
  const std::size_t auth_count = request.HeaderCount("authorization");
  if (auth_count == 0)
    return Fail(SigV4Failure("missing_authorization", "no Authorization header"));
  if (auth_count > 1)
    return Fail(SigV4Failure("malformed_authorization", "more than one Authorization header"));
  return ParseAuthorization(*request.Header("authorization"));
}

ProxyResult<void> CheckScopeAndRequiredHeaders(const ParsedAuthorization& auth,
                                               std::string_view service,
                                               const std::string& akid_note) {
  if (auth.service != service) {
    return Fail(SigV4Failure("wrong_service", "credential scope service '" +
                                                  Printable(auth.service) + "' is not '" +
                                                  std::string(service) + "'" + akid_note));
  }
  if (!Contains(auth.signed_headers, "host")) {
    return Fail(
        SigV4Failure("unsigned_required_header", "host is not a signed header" + akid_note));
  }
  if (!Contains(auth.signed_headers, kAmzDate)) {
    return Fail(
        SigV4Failure("unsigned_required_header", "x-amz-date is not a signed header" + akid_note));
  }
  return {};
}

// Returns the X-Amz-Date value (a view into `request`).
ProxyResult<std::string_view> CheckRequestDate(const HttpRequest& request,
                                               const ParsedAuthorization& auth,
                                               std::chrono::system_clock::time_point now,
                                               std::chrono::seconds max_clock_skew,
                                               const std::string& akid_note) {
  // Exactly one X-Amz-Date: duplicates would be joined with ',' in the canonical request and could
  // not be checked against the clock.
  if (request.HeaderCount(kAmzDate) != 1) {
    return Fail(
        SigV4Failure("malformed_date", "expected exactly one X-Amz-Date header" + akid_note));
  }
  const std::string_view amz_date = *request.Header(kAmzDate);
  const auto request_time = ParseAmzDate(amz_date);
  if (!request_time) {
    return Fail(SigV4Failure("malformed_date", "X-Amz-Date '" + Printable(amz_date) +
                                                   "' is not YYYYMMDDTHHMMSSZ" + akid_note));
  }
  if (amz_date.substr(0, 8) != auth.date) {
    return Fail(SigV4Failure("wrong_scope_date", "credential date " + auth.date +
                                                     " differs from X-Amz-Date " +
                                                     std::string(amz_date) + akid_note));
  }
  const auto skew = std::chrono::floor<std::chrono::seconds>(now) - *request_time;
  if (skew > max_clock_skew || -skew > max_clock_skew) {
    return Fail(SigV4Failure("clock_skew", "X-Amz-Date " + std::string(amz_date) + " is " +
                                               std::to_string(skew.count()) +
                                               "s from the proxy clock, beyond the allowed skew" +
                                               akid_note));
  }
  return amz_date;
}

// Every signed header present, and the payload hash; returns the hash of the body received.
ProxyResult<std::string> CheckSignedHeadersAndPayload(const HttpRequest& request,
                                                      const ParsedAuthorization& auth,
                                                      const std::string& akid_note) {
  for (const auto& name : auth.signed_headers) {
    if (request.HeaderCount(name) == 0) {
      return Fail(SigV4Failure("missing_signed_header",
                               "signed header '" + name + "' is absent" + akid_note));
    }
  }
  // The payload line is always the hash of the body actually received. botocore puts the
  // X-Amz-Content-SHA256 value on that line when the header exists, so we insist the two agree;
  // that also rules out UNSIGNED-PAYLOAD, which would leave the body unauthenticated.
  std::string payload_hash = Sha256Hex(request.body);
  const std::size_t content_sha_count = request.HeaderCount(kContentSha256);
  if (content_sha_count > 1) {
    return Fail(SigV4Failure("payload_hash_mismatch",
                             "more than one X-Amz-Content-SHA256 header" + akid_note));
  }
  if (content_sha_count == 1 && *request.Header(kContentSha256) != payload_hash) {
    return Fail(SigV4Failure("payload_hash_mismatch",
                             "X-Amz-Content-SHA256 does not match the body" + akid_note));
  }
  return payload_hash;
}

ProxyResult<const Credential*> FindTenantCredential(const CredentialStore& credentials,
                                                    const ParsedAuthorization& auth,
                                                    std::string_view tenant,
                                                    const std::string& akid_note) {
  const Credential* credential = credentials.Find(auth.access_key_id);
  if (credential == nullptr)
    return Fail(SigV4Failure("unknown_access_key_id", "unknown access key id" + akid_note));
  if (credential->tenant != tenant) {
    return Fail(SigV4Failure("wrong_tenant", "access key id belongs to another tenant, not '" +
                                                 Printable(tenant) + "'" + akid_note));
  }
  return credential;
}

}  // namespace

SigV4Verifier::SigV4Verifier(SigV4Options options)
    : options_(std::move(options)),
      cache_(std::make_unique<SigningKeyCache>(options_.signing_key_cache_capacity)) {}
SigV4Verifier::~SigV4Verifier() = default;
SigV4Verifier::SigV4Verifier(SigV4Verifier&&) noexcept = default;
SigV4Verifier& SigV4Verifier::operator=(SigV4Verifier&&) noexcept = default;

std::size_t SigV4Verifier::cached_signing_keys() const { return cache_->size(); }

std::optional<std::string> SigV4Verifier::PresentedAccessKeyId(const HttpRequest& request) {
  if (request.HeaderCount("authorization") != 1) return std::nullopt;
  auto parsed = ParseAuthorization(*request.Header("authorization"));
  if (!parsed.ok()) return std::nullopt;
  return std::move(parsed).value().access_key_id;
}

ProxyResult<AuthenticatedCaller> SigV4Verifier::Verify(
    const HttpRequest& request, const CredentialStore& credentials, std::string_view tenant,
    std::chrono::system_clock::time_point now) const {
  auto parsed = ParseTheAuthorizationHeader(request);
  if (!parsed.ok()) return Fail(std::move(parsed).error());
  const ParsedAuthorization& auth = parsed.value();
  const std::string akid_note = " (access key id " + Printable(auth.access_key_id) + ")";
  if (auto scope = CheckScopeAndRequiredHeaders(auth, options_.service, akid_note); !scope.ok()) {
    return Fail(std::move(scope).error());
  }
  auto amz_date = CheckRequestDate(request, auth, now, options_.max_clock_skew, akid_note);
  if (!amz_date.ok()) return Fail(std::move(amz_date).error());
  auto payload_hash = CheckSignedHeadersAndPayload(request, auth, akid_note);
  if (!payload_hash.ok()) return Fail(std::move(payload_hash).error());
  auto found = FindTenantCredential(credentials, auth, tenant, akid_note);
  if (!found.ok()) return Fail(std::move(found).error());
  const Credential* credential = found.value();

  const std::string canonical_request =
      CanonicalRequest(request.method, request.target, request.headers, auth.signed_headers,
                       payload_hash.value(), options_.normalize_path);
  const std::string scope = CredentialScope(auth.date, auth.region, auth.service);
  const std::string string_to_sign = StringToSign(amz_date.value(), scope, canonical_request);

  const std::string cache_key = SigningKeyCache::MakeKey(
      credentials.generation(), auth.access_key_id, auth.date, auth.region, auth.service);
  std::optional<SecretBytes> signing_key = cache_->Lookup(cache_key);
  if (!signing_key) {
    signing_key = DeriveSigningKey(credential->secret.view(), auth.date, auth.region, auth.service);
    cache_->Insert(cache_key, *signing_key);
  }
  Sha256Digest expected = ComputeSignature(signing_key->span(), string_to_sign);
  // The parser guaranteed 64 hex digits, so decoding cannot fail.
  const auto presented = HexDecode(auth.signature_hex);
  const bool match = presented && presented->size() == expected.size() &&
                     CRYPTO_memcmp(presented->data(), expected.data(), expected.size()) == 0;
  OPENSSL_cleanse(expected.data(), expected.size());
  if (!match) {
    // The canonical-request hash is a function of public request data only; it lets an operator
    // compare with the client's view without revealing anything secret.
    return Fail(SigV4Failure("signature_mismatch",
                             "signature mismatch" + akid_note + "; canonical request sha256 " +
                                 Sha256Hex(canonical_request) + ", signed headers " +
                                 std::to_string(auth.signed_headers.size())));
  }
  return AuthenticatedCaller{auth.access_key_id, auth.region, credential->tenant};
}

}  // namespace xks::auth
