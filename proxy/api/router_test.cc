#include "proxy/api/router.h"

#include <gtest/gtest.h>

namespace xks::api {
namespace {

TEST(RouterTest, RecognisesTheFourOperations) {
  auto r = ParseXksPath("/kms/xks/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path_prefix, "");
  EXPECT_EQ(r->operation, Operation::kGetHealthStatus);
  r = ParseXksPath("/t/acme/kms/xks/v1/keys/k-1.a_b/metadata");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path_prefix, "/t/acme");
  EXPECT_EQ(r->external_key_id, "k-1.a_b");
  EXPECT_EQ(r->operation, Operation::kGetKeyMetadata);
  EXPECT_EQ(ParseXksPath("/kms/xks/v1/keys/k/encrypt")->operation, Operation::kEncrypt);
  EXPECT_EQ(ParseXksPath("/kms/xks/v1/keys/k/decrypt")->operation, Operation::kDecrypt);
}

TEST(RouterTest, RejectsEverythingElse) {
  for (const char* path :
       {"/", "", "/kms/xks/v1", "/kms/xks/v1/", "/kms/xks/v1/health/", "/kms/xks/v2/health",
        "/kms/xks/v1/keys//encrypt", "/kms/xks/v1/keys/k", "/kms/xks/v1/keys/k/",
        "/kms/xks/v1/keys/k/rotate", "/kms/xks/v1/keys/a/b/encrypt", "/kms/xks/v1/keys/k/encrypt/",
        "/KMS/xks/v1/health", "/kms/xks/v1/Health", "kms/xks/v1/health"}) {
    EXPECT_FALSE(ParseXksPath(path).has_value()) << path;
  }
}

TEST(RouterTest, PathOfTargetDropsTheQuery) {
  EXPECT_EQ(PathOfTarget("/kms/xks/v1/health?x=1"), "/kms/xks/v1/health");
  EXPECT_EQ(PathOfTarget("/kms/xks/v1/health"), "/kms/xks/v1/health");
}

}  // namespace
}  // namespace xks::api
