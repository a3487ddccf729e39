#include "base/random.h"

#include <gtest/gtest.h>

#include <array>

namespace xks {
namespace {

TEST(RandomTest, GivesTheAskedNumberOfFreshBytes) {
  EXPECT_TRUE(RandomBytes(0).empty());
  const SecretBytes a = RandomBytes(32);
  const SecretBytes b = RandomBytes(32);
  ASSERT_EQ(a.size(), 32u);
  EXPECT_NE(a.view(), b.view()) << "2^-256 chance of a false failure";
  std::array<std::uint8_t, 16> out{};
  ASSERT_TRUE(FillRandom(out));
  EXPECT_NE(out, (std::array<std::uint8_t, 16>{}));
  EXPECT_TRUE(FillRandom({}));
}

}  // namespace
}  // namespace xks
