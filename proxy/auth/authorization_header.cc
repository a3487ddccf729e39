#include "proxy/auth/authorization_header.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "proxy/auth/sigv4_canonical.h"

namespace xks::auth {
namespace {

// Bounds keep a hostile header from making us allocate or scan without limit; real values are far
// shorter (KMS: ~200 characters).
constexpr std::size_t kMaxAuthorizationLength = 4096;
constexpr std::size_t kMaxFieldLength = 128;

// The reason is fixed text of ours, never the header's bytes: it must not echo the signature.
Error Malformed(const char* reason) {
  return SigV4Failure("malformed_authorization", std::string("malformed Authorization: ") + reason);
}

bool IsTokenChar(char c) {
  // RFC 9110 tchar, lowercase letters only (SigV4 signs lowercase names).
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsScopeChar(char c) {
  // Printable ASCII except the separators used by the header syntax.
  return c > ' ' && c < 0x7f && c != '/' && c != ',' && c != ';' && c != '=';
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<void, Error> ParseCredential(std::string_view value, ParsedAuthorization& out) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (true) {
    const std::size_t slash = value.find('/', pos);
    parts.push_back(value.substr(pos, slash == std::string_view::npos ? slash : slash - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
    if (parts.size() > 5) return Fail(Malformed("Credential has more than five parts"));
  }
  if (parts.size() != 5) return Fail(Malformed("Credential does not have five parts"));
  for (std::string_view part : parts) {
    if (part.empty()) return Fail(Malformed("Credential has an empty part"));
    if (part.size() > kMaxFieldLength) return Fail(Malformed("Credential part too long"));
    if (!std::all_of(part.begin(), part.end(), IsScopeChar)) {
      return Fail(Malformed("Credential has an invalid character"));
    }
  }
  if (parts[1].size() != 8 || !AllDigits(parts[1])) {
    return Fail(Malformed("Credential date is not YYYYMMDD"));
  }
  if (parts[4] != kSigV4Terminator) {
    return Fail(Malformed("Credential terminator is not aws4_request"));
  }
  out.access_key_id = parts[0];
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  out.terminator = parts[4];
  return {};
}

Result<void, Error> ParseSignedHeaders(std::string_view value, ParsedAuthorization& out) {
  std::size_t pos = 0;
  while (true) {
    const std::size_t semi = value.find(';', pos);
    const std::string_view name =
        value.substr(pos, semi == std::string_view::npos ? semi : semi - pos);
    if (name.empty()) return Fail(Malformed("SignedHeaders has an empty name"));
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return Fail(Malformed("SignedHeaders has a name that is not a lowercase token"));
    }
    if (!out.signed_headers.empty() && !(out.signed_headers.back() < name)) {
      return Fail(Malformed("SignedHeaders is not sorted or has a duplicate"));
    }
    out.signed_headers.emplace_back(name);
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return {};
}

}  // namespace

Error SigV4Failure(std::string_view reason, std::string detail) {
  return MakeError(ErrorName::kAuthenticationFailed, std::string(kAuthenticationFailedMessage),
                   "sigv4 " + std::string(reason) + ": " + std::move(detail));
}

Result<ParsedAuthorization, Error> ParseAuthorization(std::string_view value) {
  if (value.size() > kMaxAuthorizationLength) {
    return Fail(Malformed("Authorization header too long"));
  }
  if (value.substr(0, kSigV4Algorithm.size()) != kSigV4Algorithm) {
    return Fail(Malformed("Authorization algorithm is not AWS4-HMAC-SHA256"));
  }
  std::string_view rest = value.substr(kSigV4Algorithm.size());
  if (rest.empty() || rest.front() != ' ') {
    return Fail(Malformed("Authorization algorithm is not AWS4-HMAC-SHA256"));
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);

  ParsedAuthorization out;
  std::optional<std::string_view> credential, signed_headers, signature;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view component = rest.substr(0, comma);
    const std::size_t eq = component.find('=');
    if (eq == std::string_view::npos) {
      return Fail(Malformed("Authorization component without '='"));
    }
    const std::string_view key = component.substr(0, eq);
    const std::string_view val = component.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") {
      slot = &credential;
    } else if (key == "SignedHeaders") {
      slot = &signed_headers;
    } else if (key == "Signature") {
      slot = &signature;
    } else {
      return Fail(Malformed("Authorization has an unknown component"));
    }
    if (slot->has_value()) return Fail(Malformed("Authorization repeats a component"));
    if (val.empty()) return Fail(Malformed("Authorization has an empty component"));
    *slot = val;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  if (!credential) return Fail(Malformed("Authorization lacks Credential"));
  if (!signed_headers) return Fail(Malformed("Authorization lacks SignedHeaders"));
  if (!signature) return Fail(Malformed("Authorization lacks Signature"));

  if (auto r = ParseCredential(*credential, out); !r.ok()) return Fail(std::move(r).error());
  if (auto r = ParseSignedHeaders(*signed_headers, out); !r.ok()) {
    return Fail(std::move(r).error());
  }
  if (!IsLowercaseHex(*signature, 64)) {
    return Fail(Malformed("Signature is not 64 lowercase hex digits"));
  }
  out.signature_hex = *signature;
  return out;
}

}  // namespace xks::auth
