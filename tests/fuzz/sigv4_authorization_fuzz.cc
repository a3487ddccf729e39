// The SigV4 Authorization header parser (proxy/auth/authorization_header.h), the first thing an
// unauthenticated request reaches. Properties: what parses has the documented shape (64 lowercase
// hex digits, strictly increasing lowercase signed headers, the aws4_request terminator) and
// every refusal is the one AuthenticationFailedException.

#include <algorithm>

#include "proxy/auth/authorization_header.h"
#include "proxy/auth/sigv4_canonical.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xks::auth;
  const auto parsed = ParseAuthorization(xks::fuzz::AsText(data, size));
  if (!parsed.ok()) {
    XKS_FUZZ_CHECK(parsed.error().name == xks::ErrorName::kAuthenticationFailed);
    XKS_FUZZ_CHECK(parsed.error().message == kAuthenticationFailedMessage);
    return 0;
  }
  const ParsedAuthorization& a = *parsed;
  XKS_FUZZ_CHECK(a.signature_hex.size() == 64 &&
                 std::all_of(a.signature_hex.begin(), a.signature_hex.end(), IsLowerHex));
  XKS_FUZZ_CHECK(a.terminator == kSigV4Terminator && a.date.size() == 8);
  XKS_FUZZ_CHECK(!a.access_key_id.empty() && !a.region.empty() && !a.service.empty());
  XKS_FUZZ_CHECK(!a.signed_headers.empty());
  XKS_FUZZ_CHECK(std::adjacent_find(a.signed_headers.begin(), a.signed_headers.end(),
                                    [](const auto& x, const auto& y) { return x >= y; }) ==
                 a.signed_headers.end());
  for (const std::string& h : a.signed_headers) XKS_FUZZ_CHECK(h == AsciiLower(h) && !h.empty());
  return 0;
}
