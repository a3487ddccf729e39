#pragma once
// Verification of AWS SigV4 (AWS4-HMAC-SHA256, Authorization header form) on incoming XKS requests
// (spec "Authentication" and "Appendix A").

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/auth/authorization_header.h"  // kAuthenticationFailedMessage
#include "proxy/auth/credential_store.h"
#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks::auth {

class SigningKeyCache;

/// Who signed a request that verified (for the audit record and the request context).
struct AuthenticatedCaller {
  std::string access_key_id;
  std::string region;  ///< from the credential scope; any region is accepted
  std::string tenant;
};

/// Verifier configuration; a plain value, fixed for the verifier's lifetime.
struct SigV4Options {
  /// The service name the credential scope must carry. "kms-xks-proxy" for XKS; the reference
  /// vectors use "service".
  std::string service = "kms-xks-proxy";
  /// Largest accepted |now - X-Amz-Date| (spec: 5 minutes). Exactly this much is accepted.
  std::chrono::seconds max_clock_skew{300};
  /// Derived signing keys kept (FIFO); 0 disables the cache (used by the cold-path benchmark).
  std::size_t signing_key_cache_capacity = 256;
  /// Path normalisation for the canonical URI (AWS non-S3 rule). Only the reference vectors'
  /// "*-unnormalized" variants turn it off.
  bool normalize_path = true;
};

/// Verifies SigV4 Authorization headers. Immutable configuration plus an internal, thread-safe
/// signing-key cache: Verify may be called concurrently from any number of threads.
/// Movable, not copyable.
class SigV4Verifier {
 public:
  explicit SigV4Verifier(SigV4Options options = {});
  ~SigV4Verifier();
  SigV4Verifier(SigV4Verifier&&) noexcept;
  SigV4Verifier& operator=(SigV4Verifier&&) noexcept;

  /// Verifies `request` (raw target, headers, body) against `credentials`, requiring the credential
  /// to belong to `tenant`. `now` is injected. Thread-safe. Checks, in order: exactly one
  /// Authorization header that parses; algorithm, service and terminator; `host` and `x-amz-date`
  /// signed; exactly one well-formed X-Amz-Date whose date equals the credential date and that is
  /// within max_clock_skew of `now`; every signed header present; an X-Amz-Content-SHA256 header,
  /// if present, equal to the body's hash (UNSIGNED-PAYLOAD is refused); a known access key id
  /// owned by `tenant`; and finally the signature (constant-time comparison). The payload hash
  /// always comes from the body received, so a body that differs from the signed one never
  /// verifies. On any failure returns Error{ErrorName::kAuthenticationFailed,
  /// kAuthenticationFailedMessage, log_detail = "sigv4 <reason>: <which part failed and why>"},
  /// reason one of missing_authorization, malformed_authorization, wrong_service,
  /// unsigned_required_header, malformed_date, wrong_scope_date, clock_skew,
  /// missing_signed_header, payload_hash_mismatch, unknown_access_key_id, wrong_tenant,
  /// signature_mismatch. log_detail never holds
  /// the secret, the signing key or the expected signature; client-supplied text in it is truncated
  /// and made printable.
  ProxyResult<AuthenticatedCaller> Verify(const HttpRequest& request,
                                          const CredentialStore& credentials,
                                          std::string_view tenant,
                                          std::chrono::system_clock::time_point now) const;

  /// The access key id the request claims (parsed from Authorization), for audit records even when
  /// verification fails; nullopt if absent, repeated or malformed. Thread-safe.
  static std::optional<std::string> PresentedAccessKeyId(const HttpRequest& request);

  const SigV4Options& options() const { return options_; }
  /// Entries in the signing-key cache (for tests and metrics).
  std::size_t cached_signing_keys() const;

 private:
  SigV4Options options_;
  std::unique_ptr<SigningKeyCache> cache_;
};

}  // namespace xks::auth
