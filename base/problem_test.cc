#include "base/problem.h"

#include <gtest/gtest.h>

namespace xks {
namespace {

TEST(ProblemTest, ToStringJoinsPathProblemAndFix) {
  EXPECT_EQ(MakeProblem("server.port", "must be between 1 and 65535 (got 0)", "use 443").ToString(),
            "server.port: must be between 1 and 65535 (got 0) — use 443");
}

TEST(ProblemTest, ToStringLeavesOutEmptyParts) {
  EXPECT_EQ(MakeProblem("audit", "missing").ToString(), "audit: missing");
  EXPECT_EQ(MakeProblem("", "cannot listen", "free the port").ToString(),
            "cannot listen — free the port");
  EXPECT_EQ(MakeProblem("", "cannot listen").ToString(), "cannot listen");
}

TEST(ProblemTest, FormatProblemsWritesOneLineEach) {
  const Problems problems = {MakeProblem("a", "bad"), MakeProblem("b", "worse", "fix b")};
  EXPECT_EQ(FormatProblems(problems), "a: bad\nb: worse — fix b\n");
  EXPECT_EQ(FormatProblems({}), "");
}

}  // namespace
}  // namespace xks
