// LogBatch and AfterLogLines: a burst of lines goes out in few writes, each of whole lines and at
// most PIPE_BUF bytes, and an action queued after a line runs only once that line is written.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "proxy/common/log.h"

namespace xks {
namespace {

// Points stderr at a fresh temp file for the test's lifetime.
class LogBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/xks-log-batch-XXXXXX";
    file_ = ::mkstemp(path);
    ASSERT_GE(file_, 0);
    path_ = path;
    saved_stderr_ = ::dup(STDERR_FILENO);
    ASSERT_GE(saved_stderr_, 0);
    ASSERT_GE(::dup2(file_, STDERR_FILENO), 0);
  }
  void TearDown() override {
    ::dup2(saved_stderr_, STDERR_FILENO);
    ::close(saved_stderr_);
    ::close(file_);
    ::unlink(path_.c_str());
  }

  off_t Written() const {
    struct stat st {};
    return ::fstat(file_, &st) == 0 ? st.st_size : -1;
  }
  std::string Contents() const {
    std::string out(static_cast<std::size_t>(Written()), '\0');
    const ssize_t n = ::pread(file_, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }

  int file_ = -1;
  int saved_stderr_ = -1;
  std::string path_;
};

TEST_F(LogBatchTest, WithoutABatchLinesAndActionsHappenAtOnce) {
  LogInfo("test", "first");
  EXPECT_NE(Contents().find("INFO test first\n"), std::string::npos);
  bool ran = false;
  AfterLogLines([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST_F(LogBatchTest, LinesWaitForTheBatchAndActionsForTheirLines) {
  off_t seen_by_action = -1;
  {
    LogBatch batch;
    LogInfo("test", "one");
    LogInfo("test", "two");
    AfterLogLines([&] { seen_by_action = Written(); });
    EXPECT_EQ(Written(), 0) << "a line left before its batch ended";
    EXPECT_EQ(seen_by_action, -1) << "the action ran before its lines were written";
  }
  const std::string text = Contents();
  EXPECT_NE(text.find("INFO test one\n"), std::string::npos);
  EXPECT_LT(text.find("test one"), text.find("test two"));
  EXPECT_EQ(seen_by_action, static_cast<off_t>(text.size()));
}

TEST_F(LogBatchTest, EachWriteHoldsWholeLinesAndAtMostPipeBuf) {
  const std::string message(100, 'm');
  std::vector<off_t> at_action;
  std::vector<off_t> line_ends;
  {
    LogBatch batch;
    for (int i = 0; i < 200; ++i) {
      LogInfo("test", message);
      AfterLogLines([&] { at_action.push_back(Written()); });
    }
  }
  const std::string text = Contents();
  for (std::size_t pos = text.find('\n'); pos != std::string::npos;
       pos = text.find('\n', pos + 1)) {
    line_ends.push_back(static_cast<off_t>(pos + 1));
  }
  ASSERT_EQ(line_ends.size(), 200u);
  ASSERT_EQ(at_action.size(), 200u);
  off_t previous = 0;
  for (std::size_t i = 0; i < at_action.size(); ++i) {
    // The action after line i sees at least lines 0..i, and the file always ends at a line end.
    EXPECT_GE(at_action[i], line_ends[i]) << "action " << i;
    EXPECT_NE(std::find(line_ends.begin(), line_ends.end(), at_action[i]), line_ends.end());
    EXPECT_LE(at_action[i] - previous, PIPE_BUF) << "one write of more than PIPE_BUF bytes";
    previous = at_action[i];
  }
  EXPECT_GT(at_action.back(), at_action.front()) << "everything went out in one write";
}

TEST_F(LogBatchTest, ALineLongerThanPipeBufGoesWholeAndAlone) {
  const std::string longer(PIPE_BUF + 100, 'x');
  {
    LogBatch batch;
    LogInfo("test", "short");
    LogInfo("test", longer);
    EXPECT_GT(Written(), PIPE_BUF) << "the long line waited";
    LogInfo("test", "after");
  }
  const std::string text = Contents();
  EXPECT_LT(text.find("test short\n"), text.find(longer));
  EXPECT_NE(text.find(longer + "\n"), std::string::npos);
  EXPECT_LT(text.find(longer), text.find("test after\n"));
}

TEST_F(LogBatchTest, AnInnerBatchLeavesTheWritingToTheOuterOne) {
  {
    LogBatch outer;
    {
      LogBatch inner;
      LogInfo("test", "inner");
    }
    EXPECT_EQ(Written(), 0);
  }
  EXPECT_NE(Contents().find("test inner\n"), std::string::npos);
}

TEST_F(LogBatchTest, WhatAnActionLogsIsWrittenBeforeTheBatchEnds) {
  {
    LogBatch batch;
    AfterLogLines([] { LogInfo("test", "from the action"); });
  }
  EXPECT_NE(Contents().find("test from the action\n"), std::string::npos);
  LogInfo("test", "later");  // no batch is left active on this thread
  EXPECT_NE(Contents().find("test later\n"), std::string::npos);
}

}  // namespace
}  // namespace xks
