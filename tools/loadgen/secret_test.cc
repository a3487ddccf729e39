// --secret-file goes through base/secret_file: loose modes and symlinks are refused by name.

#include "tools/loadgen/secret.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace xks::loadgen {
namespace {

class LoadgenSecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/xks-loadgen-secret.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    file_ = dir_ + "/secret";
    std::ofstream(file_) << "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0=\n";
    ASSERT_EQ(::chmod(file_.c_str(), 0600), 0);
  }
  void TearDown() override {
    ::unlink((dir_ + "/link").c_str());
    ::unlink(file_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, file_;
};

TEST_F(LoadgenSecretTest, ReadsAnOwnerOnlyFileWithoutTheLineEnd) {
  Options o;
  o.secret_file = file_;
  auto secret = LoadSecret(o);
  ASSERT_TRUE(secret.ok()) << secret.error();
  EXPECT_EQ(secret->view(), "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0=");
}

TEST_F(LoadgenSecretTest, RefusesAGroupReadableFile) {
  ASSERT_EQ(::chmod(file_.c_str(), 0640), 0);
  Options o;
  o.secret_file = file_;
  auto secret = LoadSecret(o);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().find("--secret-file: " + file_ +
                                " is accessible by group or others (mode 640)"),
            std::string::npos)
      << secret.error();
  EXPECT_EQ(secret.error().find("c2VjcmV0"), std::string::npos) << "never the content";
}

TEST_F(LoadgenSecretTest, RefusesASymlink) {
  const std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(file_.c_str(), link.c_str()), 0);
  Options o;
  o.secret_file = link;
  auto secret = LoadSecret(o);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().find("is a symbolic link, which is not allowed here"), std::string::npos)
      << secret.error();
}

}  // namespace
}  // namespace xks::loadgen
