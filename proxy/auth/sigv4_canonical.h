#pragma once
// The pure building blocks of AWS Signature Version 4 (AWS4-HMAC-SHA256) for non-S3 services:
// the canonical request, the string to sign, the signing key and the signature.
// The verifier (sigv4_verifier.h) and the client-side signer (sigv4_signer.h) are both built from
// these, so a request our signer produces is canonicalised by exactly the code that verifies it.
//
// Every function here is pure and thread-safe. None throws on the request path (a std::bad_alloc
// aside). Secrets passed in are never logged or copied outside zeroizing buffers.
//
// Reference: AWS General Reference, "Create a canonical request for Signature Version 4", and the
// vectors in reference/sigv4-testsuite (aws4_testsuite, aws-c-auth-v4).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/hex.h"  // HexEncode etc.: the canonical-request and signature forms
#include "base/secret_bytes.h"
#include "base/sha256.h"  // Sha256, Sha256Hex, HmacSha256, Sha256Digest
#include "proxy/common/http_message.h"

namespace xks::auth {

/// The only algorithm this code speaks.
inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
/// The credential-scope terminator.
inline constexpr std::string_view kSigV4Terminator = "aws4_request";
/// The service name AWS KMS signs XKS requests for (spec Appendix A).
inline constexpr std::string_view kXksServiceName = "kms-xks-proxy";

/// RFC 3986 percent-encoding as SigV4 uses it: unreserved characters (A-Z a-z 0-9 - . _ ~) are
/// kept, every other byte becomes %XX with uppercase hex. With `keep_slash`, '/' is kept too (for
/// paths).
std::string UriEncode(std::string_view raw, bool keep_slash);
/// Percent-decoding. A '%' not followed by two hex digits is kept literally (as AWS does); '+' is
/// not treated as a space.
std::string UriDecode(std::string_view encoded);

/// Path normalisation for non-S3 services: removes "." segments, resolves ".." (never above the
/// root), collapses repeated slashes, keeps a trailing slash, and yields "/" for an empty path.
std::string NormalizePath(std::string_view path);

/// The CanonicalURI line. `raw_path` is the path as it appears in the request-target (still
/// percent-encoded on the wire). For non-S3 services AWS encodes that form once more ("double
/// encoding": a wire "%20" becomes "%2520"), which is what botocore and aws-c-auth sign; so this is
/// UriEncode(NormalizePath(raw_path)) with '/' kept, or without normalisation when `normalize` is
/// false (the aws-c-auth "*-unnormalized" vectors; S3-style).
std::string CanonicalUri(std::string_view raw_path, bool normalize = true);

/// The CanonicalQueryString line from the raw query (without '?'): each name and value is
/// percent-decoded then encoded, a parameter without '=' gets an empty value, and parameters are
/// sorted by encoded name, then encoded value. Empty for an empty query (always the case for XKS).
std::string CanonicalQueryString(std::string_view raw_query);

/// A header value as it enters the canonical headers: leading/trailing whitespace removed and every
/// inner run of whitespace (space, tab, CR, LF) collapsed to a single space.
std::string CanonicalHeaderValue(std::string_view value);

/// ASCII lowercase copy.
std::string AsciiLower(std::string_view s);

/// Splits a request-target into its path and query (the text after the first '?', without it).
struct SplitTarget {
  std::string_view path;
  std::string_view query;
};
SplitTarget SplitRequestTarget(std::string_view target);

/// Builds the canonical request:
///   METHOD \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n Payload
/// `signed_headers` are lowercase names, already sorted; for each, every header of `headers` with
/// that name (case-insensitive) contributes its canonical value, joined with ',' in arrival order.
/// A signed header absent from `headers` contributes "name:" (callers that verify reject that case
/// before calling). `payload_hash` is the lowercase hex SHA-256 of the body.
std::string CanonicalRequest(std::string_view method, std::string_view target,
                             const std::vector<HttpHeader>& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, bool normalize_path = true);

/// "DATE/REGION/SERVICE/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);

/// "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(SHA-256(canonical_request)).
std::string StringToSign(std::string_view amz_date, std::string_view credential_scope,
                         std::string_view canonical_request);

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
/// Returned in a zeroizing buffer (32 bytes).
SecretBytes DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service);

/// Parses an X-Amz-Date value "YYYYMMDDTHHMMSSZ" (UTC, basic ISO 8601). nullopt unless it has
/// exactly that shape and names a real calendar second (no leap seconds).
std::optional<std::chrono::sys_seconds> ParseAmzDate(std::string_view value);
/// Formats `t` (truncated to seconds, UTC) as "YYYYMMDDTHHMMSSZ".
std::string FormatAmzDate(std::chrono::system_clock::time_point t);

/// HMAC-SHA256(signing_key, string_to_sign): the raw 32-byte signature.
Sha256Digest ComputeSignature(std::span<const std::uint8_t> signing_key,
                              std::string_view string_to_sign);

}  // namespace xks::auth
