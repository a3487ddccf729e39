#include "proxy/api/key_attribute_cache.h"

#include <gtest/gtest.h>

namespace xks::api {
namespace {

using std::chrono::seconds;
using TimePoint = KeyAttributeCache::TimePoint;

TEST(KeyAttributeCacheTest, ServesUntilExpiry) {
  KeyAttributeCache cache;
  const TimePoint t0{seconds(100)};
  const KeyLocation key{"tok", "label"};
  EXPECT_FALSE(cache.Find(key, t0));
  cache.Store(key, KeyAttributes{"AES", 256, true, true}, t0 + seconds(10));
  auto found = cache.Find(key, t0 + seconds(9));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->key_type, "AES");
  EXPECT_EQ(found->bits, 256u);
  EXPECT_FALSE(cache.Find(key, t0 + seconds(10))) << "expired at the expiry instant";
}

TEST(KeyAttributeCacheTest, TokenAndLabelBothDecide) {
  KeyAttributeCache cache;
  const TimePoint t0{seconds(1)};
  cache.Store({"tok-a", "k"}, KeyAttributes{"AES", 256}, t0 + seconds(5));
  EXPECT_TRUE(cache.Find({"tok-a", "k"}, t0));
  EXPECT_FALSE(cache.Find({"tok-b", "k"}, t0)) << "another tenant's token";
  EXPECT_FALSE(cache.Find({"tok-a", "k2"}, t0));
}

TEST(KeyAttributeCacheTest, EmptiesWhenFull) {
  KeyAttributeCache cache(2);
  const TimePoint t0{seconds(1)};
  const TimePoint later = t0 + seconds(60);
  cache.Store({"t", "a"}, KeyAttributes{"AES", 256}, later);
  cache.Store({"t", "b"}, KeyAttributes{"AES", 256}, later);
  cache.Store({"t", "c"}, KeyAttributes{"AES", 256}, later);
  EXPECT_FALSE(cache.Find({"t", "a"}, t0));
  EXPECT_FALSE(cache.Find({"t", "b"}, t0));
  EXPECT_TRUE(cache.Find({"t", "c"}, t0));
}

}  // namespace
}  // namespace xks::api
