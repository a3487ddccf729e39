#include "proxy/config/config_secret_refs.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace xks::config::parsing {
namespace {

// A private temporary directory (mode 0700) removed with its files at the end of the test. Local
// on purpose: the API test fakes sit in a higher layer.
class TempDir {
 public:
  TempDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "xks-secret-refs-XXXXXX").string();
    if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string WriteFile(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << content;
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  std::string path_;
};

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+1234";  // 45 chars

TEST(SecretRefTest, FileRefIsResolvedCheckedAndRead) {
  TempDir dir;
  dir.WriteFile("sigv4.secret", kSecret);
  Checker c;
  auto ref =
      ParseSecretRef(json{{"secret", {{"file", "sigv4.secret"}}}}, "secret", "cred", dir.path(), c);
  ASSERT_TRUE(ref) << FormatProblems(c.Take());
  EXPECT_EQ(ref->kind, SecretRef::Kind::kFile);
  EXPECT_EQ(ref->where, dir.path() + "/sigv4.secret");
  auto secret = ReadSecret(*ref, "cred.secret", c);
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->view(), kSecret);
  EXPECT_TRUE(c.empty());
}

TEST(SecretRefTest, EnvRefNeedsASetVariable) {
  ::setenv("XKS_SECRET_REFS_TEST_VAR", kSecret, 1);
  ::unsetenv("XKS_SECRET_REFS_TEST_UNSET");
  Checker c;
  auto ref = ParseSecretRef(json{{"s", {{"env", "XKS_SECRET_REFS_TEST_VAR"}}}}, "s", "", "", c);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->Describe(), "env:XKS_SECRET_REFS_TEST_VAR");
  auto secret = ReadSecret(*ref, "s", c);
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->view(), kSecret);
  EXPECT_FALSE(
      ParseSecretRef(json{{"s", {{"env", "XKS_SECRET_REFS_TEST_UNSET"}}}}, "s", "", "", c));
  Problems problems = c.Take();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "s.env");
}

TEST(SecretRefTest, InlineAmbiguousAndMissingRefsAreRefused) {
  Checker c;
  EXPECT_FALSE(ParseSecretRef(json{{"pin", "1234"}}, "pin", "t", "", c));
  EXPECT_FALSE(ParseSecretRef(json{{"pin", {{"file", "a"}, {"env", "B"}}}}, "pin", "t", "", c));
  EXPECT_FALSE(ParseSecretRef(json::object(), "pin", "t", "", c));
  Problems problems = c.Take();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].Message().find("inline secrets are not allowed"), std::string::npos);
  EXPECT_NE(problems[1].Message().find("exactly one"), std::string::npos);
  EXPECT_NE(problems[2].Message().find("missing"), std::string::npos);
  for (const auto& p : problems) EXPECT_EQ(p.Message().find("1234"), std::string::npos);
}

TEST(SecretRefTest, SecretFilesReadableByOthersAreRefusedWithoutTheirContent) {
  TempDir dir;
  const std::string file = dir.WriteFile("open.secret", kSecret, 0644);
  Checker c;
  EXPECT_FALSE(ParseSecretRef(json{{"s", {{"file", file}}}}, "s", "t", "", c));
  CheckTlsPrivateKeyFile(file, "server.tls.private_key_file", c);
  Problems problems = c.Take();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].path, "t.s.file");
  EXPECT_NE(problems[0].Message().find("chmod 600 " + file), std::string::npos);
  EXPECT_EQ(problems[1].path, "server.tls.private_key_file");
  for (const auto& p : problems) EXPECT_EQ(p.Message().find(kSecret), std::string::npos);
}

// Mode 0640 (group-readable) and a symlink to such a file: both refused, PIN, SigV4 secret and
// TLS key alike, each with the chmod fix; a symlink to an owner-only file is followed.
TEST(SecretRefTest, GroupReadableFilesAreRefusedAlsoBehindASymlink) {
  TempDir dir;
  const std::string file = dir.WriteFile("group.secret", kSecret, 0640);
  const std::string link = dir.path() + "/linked.secret";
  ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
  for (const std::string& where : {file, link}) {
    Checker c;
    EXPECT_FALSE(ParseSecretRef(json{{"pin", {{"file", where}}}}, "pin", "hsm.tokens[0]", "", c));
    CheckTlsPrivateKeyFile(where, "server.tls.private_key_file", c);
    Problems problems = c.Take();
    ASSERT_EQ(problems.size(), 2u) << where;
    EXPECT_EQ(problems[0].path, "hsm.tokens[0].pin.file");
    for (const auto& p : problems) {
      EXPECT_NE(p.Message().find("is accessible by group or others"), std::string::npos)
          << p.Message();
      EXPECT_NE(p.Message().find("chmod 600"), std::string::npos);
      EXPECT_EQ(p.Message().find(kSecret), std::string::npos);
    }
  }
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  Checker c;
  auto ref = ParseSecretRef(json{{"s", {{"file", link}}}}, "s", "t", "", c);
  ASSERT_TRUE(ref) << FormatProblems(c.Take());
  auto secret = ReadSecret(*ref, "t.s", c);
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->view(), kSecret);
}

}  // namespace
}  // namespace xks::config::parsing
