#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace xks {
namespace {

Result<int, std::string> Half(int n) {
  if (n % 2 != 0) return Fail(std::string("odd"));
  return n / 2;
}

TEST(ResultTest, HoldsAValueOrAnError) {
  auto even = Half(8);
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(*even, 4);
  auto odd = Half(3);
  ASSERT_FALSE(odd.ok());
  EXPECT_FALSE(static_cast<bool>(odd));
  EXPECT_EQ(odd.error(), "odd");
}

TEST(ResultTest, MovesMoveOnlyValuesOut) {
  Result<std::unique_ptr<int>, std::string> r = std::make_unique<int>(7);
  std::unique_ptr<int> taken = std::move(r).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
}

TEST(ResultTest, VoidResultIsOkByDefaultAndCarriesAnError) {
  Result<void, std::string> fine;
  EXPECT_TRUE(fine.ok());
  Result<void, std::string> bad = Fail(std::string("no"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "no");
}

TEST(ResultDeathTest, ReadingTheWrongAlternativeAborts) {
  EXPECT_DEATH((void)Half(3).value(), "Result accessed as value in the wrong state");
  EXPECT_DEATH((void)Half(2).error(), "Result accessed as error in the wrong state");
}

}  // namespace
}  // namespace xks
