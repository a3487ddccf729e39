#include "base/hex.h"

#include <gtest/gtest.h>

namespace xks {
namespace {

TEST(HexTest, RoundTripAndValidation) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(HexEncode(bytes), "007fabff");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x7f\xab\xff", 4)), "007fabff");
  EXPECT_EQ(HexDecode("007FABff"), bytes);
  EXPECT_EQ(HexDecode(""), std::vector<std::uint8_t>{});
  EXPECT_EQ(HexDecode("abc"), std::nullopt);
  EXPECT_EQ(HexDecode("zz"), std::nullopt);
  EXPECT_TRUE(IsLowercaseHex("00ff", 4));
  EXPECT_FALSE(IsLowercaseHex("00FF", 4));
  EXPECT_FALSE(IsLowercaseHex("00ff", 6));
}

TEST(HexTest, SecretEncodingIsLowerCase) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(HexEncodeSecret(bytes).view(), "007fabff");
  EXPECT_TRUE(HexEncodeSecret({}).empty());
}

TEST(HexTest, FixedSizeDecodeWantsExactlyTwoDigitsPerByte) {
  const std::string digest_hex(64, 'a');
  auto digest = HexDecodeFixed<32>(digest_hex);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ((*digest)[0], 0xaa);
  EXPECT_EQ(HexDecodeFixed<32>(std::string(64, 'A')), digest) << "either case";
  EXPECT_FALSE(HexDecodeFixed<32>(std::string(63, 'a')).has_value());
  EXPECT_FALSE(HexDecodeFixed<32>(std::string(66, 'a')).has_value());
  std::string non_hex(64, 'a');
  non_hex[62] = 'g';
  EXPECT_FALSE(HexDecodeFixed<32>(non_hex).has_value());
  EXPECT_EQ(HexDecodeFixed<2>("0aF0"), (std::array<std::uint8_t, 2>{0x0a, 0xf0}));
}

TEST(HexTest, DigitHelpers) {
  std::string out;
  AppendHexByte(out, 0xab);
  AppendHexByte(out, 0x0f, /*upper=*/true);
  AppendHexByte(out, 0x00);
  EXPECT_EQ(out, "ab0F00");
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('%'), -1);
}

}  // namespace
}  // namespace xks
