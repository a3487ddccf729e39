#include "base/problem.h"

#include <gtest/gtest.h>

#include <sstream>

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

TEST(ProblemTest, StreamsAsToString) {
  std::ostringstream out;
  out << MakeProblem("audit.signer", "cannot open", "check the path");
  EXPECT_EQ(out.str(), "audit.signer: cannot open — check the path");
}

TEST(ProblemTest, FormatProblemsWritesOneLineEach) {
  const Problems problems = {MakeProblem("a", "bad"), MakeProblem("b", "worse", "fix b")};
  EXPECT_EQ(FormatProblems(problems), "a: bad\nb: worse — fix b\n");
  EXPECT_EQ(FormatProblems({}), "");
}

TEST(ProblemTest, FromTextSplitsAtTheFirstDash) {
  const Problem p = ProblemFromText("a.b", "missing — add it — now");
  EXPECT_EQ(p.path, "a.b");
  EXPECT_EQ(p.problem, "missing");
  EXPECT_EQ(p.fix, "add it — now");
  EXPECT_EQ(p.ToString(), "a.b: missing — add it — now");
  EXPECT_EQ(p.Message(), "missing — add it — now");
  const Problem plain = ProblemFromText("c", "must be true or false");
  EXPECT_EQ(plain.problem, "must be true or false");
  EXPECT_EQ(plain.fix, "");
  EXPECT_EQ(plain.ToString(), "c: must be true or false");
}

}  // namespace
}  // namespace xks
