#include "base/secret_bytes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

namespace xks {
namespace {

std::span<const std::uint8_t> ByteSpan(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(SecretBytesTest, CloneCopiesAndTruncateShrinks) {
  SecretBytes secret(std::string_view("pin-1234\n"));
  SecretBytes copy = secret.Clone();
  EXPECT_EQ(copy.view(), "pin-1234\n");
  copy.Truncate(8);
  EXPECT_EQ(copy.view(), "pin-1234");
  EXPECT_EQ(secret.size(), 9u);
  copy.Truncate(100);  // growing is not what Truncate does
  EXPECT_EQ(copy.size(), 8u);
}

TEST(SecretBytesTest, TruncateWipesTheCutOffTail) {
  SecretBytes secret(std::string_view("abcdef"));
  const std::uint8_t* tail = secret.data() + 3;
  secret.Truncate(3);
  // The vector keeps its capacity, so the cut-off bytes are still addressable and must be zero.
  EXPECT_EQ(tail[0], 0);
  EXPECT_EQ(tail[1], 0);
  EXPECT_EQ(tail[2], 0);
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals(ByteSpan("abc"), ByteSpan("abc")));
  EXPECT_FALSE(ConstantTimeEquals(ByteSpan("abc"), ByteSpan("abd")));
  EXPECT_FALSE(ConstantTimeEquals(ByteSpan("abc"), ByteSpan("ab")));
  EXPECT_TRUE(ConstantTimeEquals(ByteSpan(""), ByteSpan("")));
}

}  // namespace
}  // namespace xks
