#include "conformance/base64.h"

#include <gtest/gtest.h>

namespace xks::conformance {
namespace {

TEST(ConformanceBase64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(ConformanceBase64, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), std::optional<std::string>(all));
}

TEST(ConformanceBase64, StrictRejections) {
  for (const char* bad : {"Zg", "Zg=", "Zm9vY", "Zm9v\n", "Zm 9v", "Zm-v", "Zm_v",
                          "Z===", "Zg==Zg==", "=Zg=", "Zh==", "Zm9=", "****"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace xks::conformance
