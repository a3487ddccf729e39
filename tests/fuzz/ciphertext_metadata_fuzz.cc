// ciphertextMetadata decoding (proxy/api/ciphertext_metadata.h): the bytes a Decrypt request
// carries back, untrusted. Property: whatever decodes re-encodes to exactly the input (one
// encoding per value, so a rewritten metadata never decodes to the same key version and binding).

#include "proxy/api/ciphertext_metadata.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto decoded = xks::api::DecodeCiphertextMetadata({data, size});
  if (decoded) {
    XKS_FUZZ_CHECK(decoded->key_version != 0);
    const std::vector<std::uint8_t> again = xks::api::EncodeCiphertextMetadata(*decoded);
    XKS_FUZZ_CHECK(again == std::vector<std::uint8_t>(data, data + size));
  }
  return 0;
}
