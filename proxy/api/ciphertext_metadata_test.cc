#include "proxy/api/ciphertext_metadata.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace xks::api {
namespace {

TEST(CiphertextMetadataTest, EncodesVersionOneByteByByte) {
  CiphertextMetadata m;
  m.key_version = 0x0102;
  m.tenant_binding = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(EncodeCiphertextMetadata(m),
            (std::vector<std::uint8_t>{0x01, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_LE(EncodeCiphertextMetadata(m).size(), 20u) << "spec limit";
}

TEST(CiphertextMetadataTest, RoundTrips) {
  CiphertextMetadata m{7, ComputeTenantBinding("acme")};
  auto back = DecodeCiphertextMetadata(EncodeCiphertextMetadata(m));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->key_version, 7);
  EXPECT_EQ(back->tenant_binding, m.tenant_binding);
}

TEST(CiphertextMetadataTest, TenantBindingIsTheDocumentedHashPrefix) {
  // docs/ciphertext-metadata.md worked example:
  // SHA-256("xks-hsm-proxy/ciphertextMetadata/v1/tenant"
  // || 0x00 || "acme") starts with these bytes.
  const TenantBinding acme = ComputeTenantBinding("acme");
  EXPECT_EQ(acme, (TenantBinding{0x0e, 0x9b, 0xa6, 0x9d, 0x55, 0x96, 0x4d, 0x10}));
  EXPECT_EQ(Base64Encode(EncodeCiphertextMetadata({2, acme})), "AQACDpumnVWWTRA=");
  EXPECT_NE(acme, ComputeTenantBinding("globex"));
  EXPECT_NE(acme, ComputeTenantBinding("acme "));
  EXPECT_NE(ComputeTenantBinding("ab"), ComputeTenantBinding("a")) << "no prefix collisions";
}

TEST(CiphertextMetadataTest, RejectsEveryMalformation) {
  const auto good = EncodeCiphertextMetadata({1, ComputeTenantBinding("acme")});
  ASSERT_TRUE(DecodeCiphertextMetadata(good).has_value());
  EXPECT_FALSE(DecodeCiphertextMetadata({}).has_value()) << "empty";
  auto bad_format = good;
  bad_format[0] = 0x02;
  EXPECT_FALSE(DecodeCiphertextMetadata(bad_format).has_value()) << "unknown format version";
  bad_format[0] = 0x00;
  EXPECT_FALSE(DecodeCiphertextMetadata(bad_format).has_value()) << "format version 0";
  auto short_md = good;
  short_md.pop_back();
  EXPECT_FALSE(DecodeCiphertextMetadata(short_md).has_value()) << "truncated";
  auto long_md = good;
  long_md.push_back(0);
  EXPECT_FALSE(DecodeCiphertextMetadata(long_md).has_value()) << "trailing byte";
  auto zero_version = good;
  zero_version[1] = zero_version[2] = 0;
  EXPECT_FALSE(DecodeCiphertextMetadata(zero_version).has_value()) << "key version 0";
  // A changed binding still decodes; it is the caller's comparison (and the tag) that refuses it.
  auto other_binding = good;
  other_binding[5] ^= 0x80;
  auto decoded = DecodeCiphertextMetadata(other_binding);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_NE(decoded->tenant_binding, ComputeTenantBinding("acme"));
}

}  // namespace
}  // namespace xks::api
