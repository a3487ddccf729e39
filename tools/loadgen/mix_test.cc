#include "tools/loadgen/mix.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace xks::loadgen {
namespace {

TEST(MixTest, ParsesWeights) {
  auto mix = ParseMix("encrypt=70,decrypt=25,metadata=5");
  ASSERT_TRUE(mix.ok()) << mix.error();
  EXPECT_EQ(mix->Weight(Op::kEncrypt), 70u);
  EXPECT_EQ(mix->Weight(Op::kDecrypt), 25u);
  EXPECT_EQ(mix->Weight(Op::kMetadata), 5u);
  EXPECT_EQ(mix->Weight(Op::kHealth), 0u);
  EXPECT_EQ(mix->Total(), 100u);
  EXPECT_EQ(mix->ToString(), "encrypt=70,decrypt=25,metadata=5");
}

TEST(MixTest, ZeroWeightsAndSingleOperation) {
  auto mix = ParseMix("health=0,metadata=1");
  ASSERT_TRUE(mix.ok());
  EXPECT_EQ(mix->ToString(), "metadata=1");
}

TEST(MixTest, RejectsBadInput) {
  for (const char* bad : {"", "encrypt", "encrypt=", "encrypt=x", "encrypt=-1", "encrypt=1.5",
                          "sign=3", "encrypt=1,encrypt=2", "encrypt=0,decrypt=0", "encrypt=1,",
                          "encrypt=1000001", " encrypt=1"}) {
    EXPECT_FALSE(ParseMix(bad).ok()) << bad;
  }
  EXPECT_NE(ParseMix("sign=3").error().find("unknown operation"), std::string::npos);
}

TEST(MixTest, CycleHasExactSharesSpreadEvenly) {
  const auto cycle = MixCycle(*ParseMix("encrypt=70,decrypt=25,metadata=5"));
  ASSERT_EQ(cycle.size(), 20u);  // 100 / gcd 5
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), Op::kEncrypt), 14);
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), Op::kDecrypt), 5);
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), Op::kMetadata), 1);
  // Spread: no run of four decrypts or metadata, and decrypts appear in every quarter.
  for (std::size_t q = 0; q < 4; ++q) {
    EXPECT_NE(std::find(cycle.begin() + 5 * q, cycle.begin() + 5 * (q + 1), Op::kDecrypt),
              cycle.begin() + 5 * (q + 1));
  }
}

TEST(MixTest, CycleOfOneOperation) {
  const auto cycle = MixCycle(*ParseMix("metadata=7"));
  ASSERT_EQ(cycle.size(), 1u);
  EXPECT_EQ(cycle[0], Op::kMetadata);
}

TEST(MixTest, NamesRoundTrip) {
  for (Op op : kAllOps) EXPECT_EQ(OpFromName(OpName(op)), op);
  EXPECT_FALSE(OpFromName("Encrypt").has_value());
}

}  // namespace
}  // namespace xks::loadgen
