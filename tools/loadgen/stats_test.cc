#include "tools/loadgen/stats.h"

#include <gtest/gtest.h>

namespace xks::loadgen {
namespace {

TEST(LoadgenStatsTest, ErrorNameFromTheJsonBody) {
  EXPECT_EQ(ErrorNameOf(401, R"({"errorName":"AuthenticationFailedException","errorMessage":"x"})"),
            "AuthenticationFailedException");
  EXPECT_EQ(ErrorNameOf(502, "<html>bad gateway</html>"), "HTTP 502");
  EXPECT_EQ(ErrorNameOf(500, R"({"errorName":""})"), "HTTP 500");
  EXPECT_EQ(ErrorNameOf(500, R"({"errorName":7})"), "HTTP 500");
  EXPECT_EQ(ErrorNameOf(404, ""), "HTTP 404");
}

TEST(LoadgenStatsTest, CountsAndMerges) {
  Stats a, b;
  a.RecordSuccess(Op::kEncrypt, 100);
  a.RecordError(Op::kDecrypt, "InvalidCiphertextException");
  const Op op = Op::kMetadata;
  b.RecordTransport(&op, "timeout");
  b.RecordTransport(nullptr, "connect");
  b.RecordSuccess(Op::kEncrypt, 300);
  b.max_queue = 4;
  a.Merge(b);
  EXPECT_EQ(a.op(Op::kEncrypt).ok, 2u);
  EXPECT_EQ(a.op(Op::kEncrypt).latency_us.max(), 300u);
  EXPECT_EQ(a.op(Op::kDecrypt).failed, 1u);
  EXPECT_EQ(a.op(Op::kMetadata).failed, 1u);
  EXPECT_EQ(a.errors.at("InvalidCiphertextException"), 1u);
  EXPECT_EQ(a.transport.at("timeout"), 1u);
  EXPECT_EQ(a.transport.at("connect"), 1u);
  EXPECT_EQ(a.ErrorCount(), 3u);  // a connection event counts as an error, not as a request
  EXPECT_EQ(a.Total().requests(), 4u);
  EXPECT_EQ(a.max_queue, 4u);
}

}  // namespace
}  // namespace xks::loadgen
