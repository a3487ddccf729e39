#pragma once
// A client-side SigV4 signer for our own tools (load generator, tests, conformance client). It is
// built from the same canonicalisation code the verifier uses.

#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/http_message.h"

namespace xks::auth {

/// Everything needed to sign one request.
struct SigningInput {
  std::string method;               ///< e.g. "POST"
  std::string target;               ///< raw request-target: path and optional "?query"
  std::vector<HttpHeader> headers;  ///< headers to sign; must include Host
  std::string body;
  std::string access_key_id;
  std::string_view secret;  ///< the secret access key; not copied except into wiped memory
  std::string region = "us-east-1";
  std::string service = "kms-xks-proxy";
  std::string amz_date;             ///< "YYYYMMDDTHHMMSSZ" (see FormatAmzDate)
  bool add_content_sha256 = false;  ///< also add and sign X-Amz-Content-SHA256 (botocore style)
};

/// Signs `in` and returns the headers to add to the request, in this order: "X-Amz-Date",
/// "X-Amz-Content-SHA256" (only if `add_content_sha256`), "Authorization".
/// Every header in `in.headers` is signed (names lowercased; repeated names joined in order), plus
/// the added X-Amz-Date (and X-Amz-Content-SHA256). Input headers named Authorization, X-Amz-Date
/// or X-Amz-Content-SHA256 are ignored (they are replaced). The path is canonicalised with AWS's
/// non-S3 rules, exactly as SigV4Verifier does. Pure and thread-safe; does not validate its input
/// (a request without Host is signed, and the verifier will reject it).
std::vector<HttpHeader> SignRequest(const SigningInput& in);

}  // namespace xks::auth
