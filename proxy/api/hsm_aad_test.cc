#include "proxy/api/hsm_aad.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace xks::api {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(HsmAadTest, LengthPrefixedConcatenationPerSpec) {
  const auto aad = Bytes("project=nile,department=marketing");  // 33 bytes
  const auto md = Bytes("key_version=1");                       // 13 bytes
  SecretBytes out = BuildHsmAad(aad, md);
  std::vector<std::uint8_t> expected = {0x00, 0x21};
  expected.insert(expected.end(), aad.begin(), aad.end());
  expected.push_back(0x0d);
  expected.insert(expected.end(), md.begin(), md.end());
  EXPECT_EQ(std::vector<std::uint8_t>(out.span().begin(), out.span().end()), expected);
}

TEST(HsmAadTest, AbsentFieldsHaveZeroLength) {
  SecretBytes none = BuildHsmAad({}, {});
  EXPECT_EQ(std::vector<std::uint8_t>(none.span().begin(), none.span().end()),
            (std::vector<std::uint8_t>{0, 0, 0}));
  const auto md = Bytes("m");
  SecretBytes only_md = BuildHsmAad({}, md);
  EXPECT_EQ(std::vector<std::uint8_t>(only_md.span().begin(), only_md.span().end()),
            (std::vector<std::uint8_t>{0, 0, 1, 'm'}));
  // The spec's warning case: metadata moved into the AAD must not give the same HSM AAD.
  SecretBytes md_as_aad = BuildHsmAad(md, {});
  EXPECT_FALSE(ConstantTimeEquals(only_md.span(), md_as_aad.span()));
}

TEST(HsmAadTest, BigEndianLengthForLargeAad) {
  std::vector<std::uint8_t> aad(8192, 0xAB);
  SecretBytes out = BuildHsmAad(aad, {});
  ASSERT_EQ(out.size(), 2u + 8192u + 1u);
  EXPECT_EQ(out.data()[0], 0x20);
  EXPECT_EQ(out.data()[1], 0x00);
  EXPECT_EQ(out.data()[8194], 0x00);
}

TEST(CdivTest, MatchesSpecAppendixCExample) {
  const auto aad = *Base64Decode("cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n");
  const auto md = *Base64Decode("a2V5X3ZlcnNpb249MQ==");
  const auto iv = *Base64Decode("HMrlRw85cAJUd5Ax");
  const auto ct = *Base64Decode("ghxkK1txeDNn3q8Y");
  const auto tag = *Base64Decode("vBxN2ncH1oEkR8WVXpmyYQ==");
  ASSERT_EQ(aad.size() + md.size() + iv.size() + ct.size() + tag.size(), 86u);
  EXPECT_EQ(ComputeCdivSha256(aad, md, iv, ct, tag),
            "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=");
}

TEST(CdivTest, AbsentFieldsAreEmptyStrings) {
  const auto iv = *Base64Decode("HMrlRw85cAJUd5Ax");
  const auto ct = *Base64Decode("ghxkK1txeDNn3q8Y");
  const auto tag = *Base64Decode("vBxN2ncH1oEkR8WVXpmyYQ==");
  std::vector<std::uint8_t> joined = iv;
  joined.insert(joined.end(), ct.begin(), ct.end());
  EXPECT_EQ(ComputeCdivSha256({}, {}, iv, ct, tag), ComputeCdivSha256({}, {}, joined, {}, tag));
  EXPECT_NE(ComputeCdivSha256({}, {}, iv, ct, tag), ComputeCdivSha256(iv, {}, {}, ct, {}))
      << "sanity: a different concatenation gives a different value";
}

}  // namespace
}  // namespace xks::api
