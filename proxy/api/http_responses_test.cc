// EncryptResponse writes Encrypt's answer directly: the same bytes the nlohmann tree gave
// (JsonResponse), with and without the CDIV.

#include "proxy/api/http_responses.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/base64.h"

namespace xks::api {
namespace {

SealedData Sealed(std::size_t length) {
  SealedData sealed;
  sealed.iv.assign(12, 0x01);
  for (std::size_t i = 0; i < length; ++i)
    sealed.ciphertext.push_back(static_cast<std::uint8_t>(i));
  for (std::size_t i = 0; i < sealed.tag.size(); ++i)
    sealed.tag[i] = static_cast<std::uint8_t>(0xf0 + i);
  return sealed;
}

// What Encrypt answered when its body was an nlohmann tree.
HttpResponse ThroughTheTree(const SealedData& sealed, const std::vector<std::uint8_t>& metadata,
                            const std::string& cdiv) {
  nlohmann::json body = {{"ciphertext", Base64Encode(sealed.ciphertext)},
                         {"ciphertextMetadata", Base64Encode(metadata)},
                         {"initializationVector", Base64Encode(sealed.iv)},
                         {"authenticationTag", Base64Encode(sealed.tag)}};
  if (!cdiv.empty()) body["ciphertextDataIntegrityValue"] = cdiv;
  return JsonResponse(200, body);
}

TEST(EncryptResponseTest, TheSameBytesAsTheJsonTree) {
  const std::vector<std::uint8_t> metadata = {0x01, 0x00, 0x00, 0x00, 0x07, 0xaa, 0xbb};
  const std::string cdiv = Base64Encode(std::string(32, '\x5a'));
  for (std::size_t length : {0u, 1u, 2u, 3u, 32u, 4096u}) {
    const SealedData sealed = Sealed(length);
    for (const std::string& with_cdiv : {std::string(), cdiv}) {
      const HttpResponse direct = EncryptResponse(sealed, metadata, with_cdiv);
      const HttpResponse tree = ThroughTheTree(sealed, metadata, with_cdiv);
      EXPECT_EQ(direct.body, tree.body) << length << (with_cdiv.empty() ? "" : " with CDIV");
      EXPECT_EQ(direct.status, 200);
      ASSERT_EQ(direct.headers.size(), 1u);
      EXPECT_EQ(direct.headers[0].name, "Content-Type");
      EXPECT_EQ(direct.headers[0].value, "application/json");
      EXPECT_FALSE(direct.sensitive_body) << "ciphertext is not secret";
      EXPECT_TRUE(nlohmann::json::parse(direct.body).is_object());
    }
  }
}

}  // namespace
}  // namespace xks::api
