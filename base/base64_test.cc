#include "base/base64.h"

#include <gtest/gtest.h>

#include <utility>

namespace xks {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(Bytes("")), "");
  EXPECT_EQ(Base64Encode(Bytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(Bytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(Bytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(Bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(Bytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode(Bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::vector<std::uint8_t>{0xfb, 0xff}), "+/8=");
}

TEST(Base64Test, DecodesWhatItEncodes) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  for (std::size_t n = 0; n <= all.size(); n += 7) {
    std::span<const std::uint8_t> part(all.data(), n);
    auto back = Base64Decode(Base64Encode(part));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, std::vector<std::uint8_t>(part.begin(), part.end()));
  }
  auto secret = Base64DecodeSecret("SGVsbG8gV29ybGQh");
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(secret->view(), "Hello World!");
}

TEST(Base64Test, StrictnessTable) {
  struct Case {
    const char* input;
    bool valid;
    const char* why;
  };
  const Case cases[] = {
      {"", true, "empty is the encoding of no bytes"},
      {"Zg==", true, "two pad characters"},
      {"Zm8=", true, "one pad character"},
      {"+/8=", true, "standard alphabet + and /"},
      {"Zg", false, "missing padding"},
      {"Zg=", false, "short padding"},
      {"Zg===", false, "extra padding"},
      {"Z===", false, "three pad characters"},
      {"====", false, "only padding"},
      {"Zm9v\n", false, "trailing newline"},
      {"Zm 9v", false, "inner space"},
      {" Zm9v", false, "leading space"},
      {"Zm9v\r\n", false, "CRLF"},
      {"-_8=", false, "URL-safe alphabet"},
      {"Zm=v", false, "padding in the middle"},
      {"Zg==Zg==", false, "padding before the end"},
      {"Zh==", false, "non-zero pad bits (one byte)"},
      {"Zm9=", false, "non-zero pad bits (two bytes)"},
      {"Zm9v*A==", false, "character outside the alphabet"},
      {"Zm9v\xc3\xa9=", false, "non-ASCII"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Base64Decode(c.input).has_value(), c.valid) << c.why << ": " << c.input;
    EXPECT_EQ(Base64DecodeSecret(c.input).has_value(), c.valid) << c.why;
    EXPECT_EQ(Base64DecodeToString(c.input).has_value(), c.valid) << c.why;
  }
}

TEST(Base64Test, DecodedSizeIsComputedFromTheText) {
  EXPECT_EQ(Base64DecodedSize(""), 0u);
  EXPECT_EQ(Base64DecodedSize("Zg=="), 1u);
  EXPECT_EQ(Base64DecodedSize("Zm8="), 2u);
  EXPECT_EQ(Base64DecodedSize("Zm9v"), 3u);
  EXPECT_FALSE(Base64DecodedSize("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Z=A=").has_value()) << "size is cheap; decoding checks every char";
  std::vector<std::uint8_t> out(2);
  EXPECT_FALSE(Base64DecodeInto("Zm9v", out)) << "output size must match";
}

TEST(Base64Test, SecretEncodingMatchesThePlainOne) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  for (std::size_t n = 0; n <= 6; ++n) {
    std::span<const std::uint8_t> part(all.data(), n);
    EXPECT_EQ(Base64EncodeSecret(part).view(), Base64Encode(part)) << n;
  }
  EXPECT_EQ(Base64EncodeSecret(all).view(), Base64Encode(all));
}

// The vectors below were the conformance runner's own codec tests (tests/conformance/
// base64_test.cc). The runner now uses this codec, so they stay as an independent oracle: written
// against the RFC with bytes held in strings, not derived from the implementation above.
TEST(Base64ConformanceVectors, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(std::string_view(plain)), encoded);
    EXPECT_EQ(Base64DecodeToString(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(Base64ConformanceVectors, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64DecodeToString(Base64Encode(all)), std::optional<std::string>(all));
}

TEST(Base64ConformanceVectors, StrictRejections) {
  for (const char* bad : {"Zg", "Zg=", "Zm9vY", "Zm9v\n", "Zm 9v", "Zm-v", "Zm_v",
                          "Z===", "Zg==Zg==", "=Zg=", "Zh==", "Zm9=", "****"}) {
    EXPECT_FALSE(Base64DecodeToString(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace xks
