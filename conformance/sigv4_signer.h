#pragma once
// A minimal AWS Signature Version 4 signer (header form, AWS4-HMAC-SHA256) written independently of
// the proxy's verifier, so the conformance runner can sign XKS requests exactly as AWS KMS does
// (spec Appendix A) and also sign them wrongly on purpose. Only the primitives (SHA-256, HMAC, hex)
// come from base/.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xks::conformance {

/// One HTTP header as sent on the wire.
using Header = std::pair<std::string, std::string>;

/// What gets signed. `path` is the path as sent; the canonical URI percent-encodes it once (a no-op
/// for well-formed XKS paths, which use only unreserved characters);
/// `query` is the canonical query string (always empty for XKS).
struct SigningInput {
  std::string method;
  std::string path;
  std::string query;
  std::vector<Header> headers;              // every header named in `signed_headers` must be here
  std::vector<std::string> signed_headers;  // lower-case names; sorted by the signer
  std::string payload;
};

/// Credentials and scope used for one signature.
struct SigningKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;
  std::string service;
};

/// Formats a time point as an X-Amz-Date value (YYYYMMDD'T'HHMMSS'Z', UTC). Thread-safe.
std::string AmzDate(std::chrono::system_clock::time_point t);

/// The canonical request (Task 1). Header values are trimmed and inner runs of spaces collapsed;
/// a header listed twice has its values joined with ','. Thread-safe.
std::string CanonicalRequest(const SigningInput& in);

/// The string to sign (Task 2) for `amz_date` and the credential scope of `key`. Thread-safe.
std::string StringToSign(const SigningInput& in, const SigningKey& key, std::string_view amz_date);

/// The hex signature (Task 3). Thread-safe.
std::string Signature(const SigningInput& in, const SigningKey& key, std::string_view amz_date);

/// The full Authorization header value. Thread-safe.
std::string AuthorizationHeader(const SigningInput& in, const SigningKey& key,
                                std::string_view amz_date);

}  // namespace xks::conformance
