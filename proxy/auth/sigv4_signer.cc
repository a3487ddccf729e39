#include "proxy/auth/sigv4_signer.h"

#include <algorithm>

#include "proxy/auth/sigv4_canonical.h"

namespace xks::auth {

std::vector<HttpHeader> SignRequest(const SigningInput& in) {
  const std::string payload_hash = Sha256Hex(in.body);
  std::vector<HttpHeader> added;
  added.push_back({"X-Amz-Date", in.amz_date});
  if (in.add_content_sha256) added.push_back({"X-Amz-Content-SHA256", payload_hash});

  std::vector<HttpHeader> all;
  std::vector<std::string> names;
  for (const auto& header : in.headers) {
    if (HeaderNameEquals(header.name, "authorization") ||
        HeaderNameEquals(header.name, "x-amz-date") ||
        HeaderNameEquals(header.name, "x-amz-content-sha256")) {
      continue;
    }
    all.push_back(header);
    names.push_back(AsciiLower(header.name));
  }
  for (const auto& header : added) {
    all.push_back(header);
    names.push_back(AsciiLower(header.name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  const std::string date = in.amz_date.substr(0, 8);
  const std::string canonical_request =
      CanonicalRequest(in.method, in.target, all, names, payload_hash);
  const std::string scope = CredentialScope(date, in.region, in.service);
  const std::string string_to_sign = StringToSign(in.amz_date, scope, canonical_request);
  const SecretBytes key = DeriveSigningKey(in.secret, date, in.region, in.service);
  const Sha256Digest signature = ComputeSignature(key.span(), string_to_sign);

  std::string signed_headers;
  for (const auto& name : names) {
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers.append(name);
  }
  std::string authorization(kSigV4Algorithm);
  authorization.append(" Credential=").append(in.access_key_id).append("/").append(scope);
  authorization.append(", SignedHeaders=").append(signed_headers);
  authorization.append(", Signature=").append(HexEncode(signature));
  added.push_back({"Authorization", std::move(authorization)});
  return added;
}

}  // namespace xks::auth
