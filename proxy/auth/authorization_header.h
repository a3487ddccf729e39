#pragma once
// Parsing of the SigV4 Authorization header value:
//   AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
//       SignedHeaders=a;b;c, Signature=<64 lowercase hex>
// Pure and thread-safe. Untrusted input never aborts; every failure is the request's
// AuthenticationFailedException Error, whose log_detail names what was malformed.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "proxy/common/error.h"

namespace xks::auth {

/// The one client-visible message of every SigV4 failure, whatever the cause, so a caller learns
/// nothing about which check failed.
inline constexpr std::string_view kAuthenticationFailedMessage =
    "The request was rejected due to an invalid AWS SigV4 signature";

/// The Error of every SigV4 failure: AuthenticationFailedException, kAuthenticationFailedMessage,
/// log_detail "sigv4 <reason>: <detail>". The reason is one stable word per kind of failure
/// (documented in docs/operations.md) so operators can count and grep them.
Error SigV4Failure(std::string_view reason, std::string detail);

/// The fields of a syntactically valid Authorization header. Syntax only: the service, date,
/// required signed headers and the signature itself are checked by the verifier.
struct ParsedAuthorization {
  std::string access_key_id;  ///< non-empty, printable ASCII, no '/', ',', ';', '=' or space
  std::string date;           ///< credential-scope date: 8 digits (YYYYMMDD)
  std::string region;         ///< non-empty, [a-z0-9-] and friends; reported, not restricted
  std::string service;        ///< non-empty
  std::string terminator;     ///< always "aws4_request" after a successful parse
  std::vector<std::string> signed_headers;  ///< lowercase, strictly increasing, non-empty
  std::string signature_hex;                ///< exactly 64 lowercase hex characters
};

/// Parses one Authorization header value. Accepts one or more spaces between the algorithm and
/// the first component, and optional spaces after each comma, as AWS does. Rejects: another
/// algorithm; a missing, empty, repeated or unknown component; a credential that is not exactly
/// five '/'-separated parts ending in "aws4_request"; SignedHeaders that are not lowercase,
/// strictly sorted and unique HTTP token names; a signature that is not 64 lowercase hex digits.
/// Errors: SigV4Failure("malformed_authorization", "malformed Authorization: <short reason>"); the
/// reason never echoes the signature.
Result<ParsedAuthorization, Error> ParseAuthorization(std::string_view value);

}  // namespace xks::auth
