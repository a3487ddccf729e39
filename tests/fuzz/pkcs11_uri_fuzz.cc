// RFC 7512 PKCS#11 URIs (pkcs11/pkcs11_uri.h, p11-kit's parser underneath): configuration values
// for tokens and keys. Properties: a URI carrying a PIN is never accepted, and the token and
// object selectors agree with the full parse.

#include <string>

#include "pkcs11/pkcs11_uri.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xks::pkcs11;
  const std::string text(xks::fuzz::AsText(data, size));
  const auto uri = ParsePkcs11Uri(text);
  if (uri.ok()) {
    XKS_FUZZ_CHECK(IsPkcs11Uri(text));
    if (text.find('#') == std::string::npos) {  // a PIN appended to an accepted URI is refused
      const char* join = text.find('?') == std::string::npos ? "?" : "&";
      XKS_FUZZ_CHECK(!ParsePkcs11Uri(text + join + "pin-value=1234").ok());
    }
    const auto token = ParseTokenSelector(text);
    XKS_FUZZ_CHECK(token.ok() && token->label == uri->token.label &&
                   token->serial == uri->token.serial && token->slot_id == uri->token.slot_id);
  }
  const auto token = ParseTokenSelector(text);
  if (token.ok() && !IsPkcs11Uri(text)) XKS_FUZZ_CHECK(token->label == text);
  const auto object = ParseObjectSelector(text);
  if (object.ok() && uri.ok()) XKS_FUZZ_CHECK(object->label == uri->object.label);
  return 0;
}
