// PinSource: files (permissions, trailing newline, limits) and environment variables.

#include "pkcs11/pin_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace xks::pkcs11 {
namespace {

class PinSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "pin-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    EXPECT_EQ(fchmod(fd, mode), 0);
    close(fd);
    return path;
  }
  std::string dir_;
};

TEST_F(PinSourceTest, ReadsFileAndStripsOneNewline) {
  auto pin = PinSource::File(Write("a", "1234\n", 0600)).Read();
  ASSERT_TRUE(pin.ok()) << pin.error().ToLogString();
  EXPECT_EQ(pin->view(), "1234");
  auto crlf = PinSource::File(Write("b", "abcd\r\n", 0400)).Read();
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(crlf->view(), "abcd");
  auto inner = PinSource::File(Write("c", "a b\n\n", 0600)).Read();
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->view(), "a b\n");
}

TEST_F(PinSourceTest, RefusesGroupOrOtherPermissions) {
  for (mode_t mode : {0640, 0604, 0660, 0644, 0610}) {
    auto pin = PinSource::File(Write("p", "secret-pin-99", mode)).Read();
    ASSERT_FALSE(pin.ok()) << std::oct << mode;
    EXPECT_EQ(pin.error().kind, HsmErrorKind::kInvalidArgument);
    EXPECT_EQ(pin.error().message.find("secret-pin-99"), std::string::npos);
  }
}

TEST_F(PinSourceTest, RefusesMissingEmptyTooLongAndNonRegular) {
  EXPECT_FALSE(PinSource::File(dir_ + "/missing").Read().ok());
  EXPECT_FALSE(PinSource::File(Write("empty", "\n", 0600)).Read().ok());
  EXPECT_FALSE(PinSource::File(Write("long", std::string(257, 'x'), 0600)).Read().ok());
  EXPECT_TRUE(PinSource::File(Write("max", std::string(256, 'x'), 0600)).Read().ok());
  EXPECT_FALSE(PinSource::File(dir_).Read().ok());
}

TEST_F(PinSourceTest, FollowsSymlinksAndAllowsTheLongestPinWithCrlf) {
  // Kubernetes mounts secrets as symlinks; the target's mode is what counts.
  std::string longest_with_crlf(256, 'p');
  longest_with_crlf += "\r\n";  // appended, not operator+: GCC 12 warns falsely on the temporary
  const std::string target = Write("target", longest_with_crlf, 0600);
  const std::string link = dir_ + "/link";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  auto pin = PinSource::File(link).Read();
  ASSERT_TRUE(pin.ok()) << pin.error().ToLogString();
  EXPECT_EQ(pin->size(), 256u);
  ASSERT_EQ(chmod(target.c_str(), 0644), 0);
  EXPECT_FALSE(PinSource::File(link).Read().ok());
}

TEST_F(PinSourceTest, ReadsEnvironment) {
  setenv("XKS_PIN_SOURCE_TEST", "env-pin", 1);
  auto pin = PinSource::Env("XKS_PIN_SOURCE_TEST").Read();
  ASSERT_TRUE(pin.ok());
  EXPECT_EQ(pin->view(), "env-pin");
  setenv("XKS_PIN_SOURCE_TEST", "", 1);
  EXPECT_FALSE(PinSource::Env("XKS_PIN_SOURCE_TEST").Read().ok());
  unsetenv("XKS_PIN_SOURCE_TEST");
  auto unset = PinSource::Env("XKS_PIN_SOURCE_TEST").Read();
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.error().message.find("XKS_PIN_SOURCE_TEST"), std::string::npos);
}

TEST_F(PinSourceTest, DescribeNamesTheSourceOnly) {
  EXPECT_EQ(PinSource::File("/etc/xks/pin").Describe(), "file:/etc/xks/pin");
  EXPECT_EQ(PinSource::Env("PIN").Describe(), "env:PIN");
}

}  // namespace
}  // namespace xks::pkcs11
