// secret_file: every error kind, symlinks followed or refused, the mode matrix, the size cap at
// its exact boundary, line-end stripping, and the writer.

#include "base/secret_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

namespace xks {
namespace {

using Kind = SecretFileErrorKind;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "secret-file-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    EXPECT_EQ(::fchmod(fd, mode), 0);
    ::close(fd);
    return path;
  }
  std::string Link(const std::string& name, const std::string& target) {
    const std::string path = dir_ + "/" + name;
    EXPECT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    return path;
  }
  std::string dir_;
};

TEST_F(SecretFileTest, ReadsAndStripsOneLineEnd) {
  auto lf = ReadSecretFile(Write("lf", "1234\n"));
  ASSERT_TRUE(lf.ok()) << lf.error().Message();
  EXPECT_EQ(lf->view(), "1234");
  auto crlf = ReadSecretFile(Write("crlf", "abcd\r\n"));
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(crlf->view(), "abcd");
  auto inner = ReadSecretFile(Write("inner", "a b\n\n"));
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->view(), "a b\n");
  auto lone_cr = ReadSecretFile(Write("cr", "xy\r"));
  ASSERT_TRUE(lone_cr.ok());
  EXPECT_EQ(lone_cr->view(), "xy");
  auto kept = ReadSecretFile(Write("keep", "raw\r\n"), {.strip_trailing_newline = false});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->view(), "raw\r\n");
}

TEST_F(SecretFileTest, OwnerOnlyModesAreAccepted) {
  for (mode_t mode : {0600, 0400, 0700}) {
    auto s = ReadSecretFile(Write("m", "secret", mode));
    ASSERT_TRUE(s.ok()) << std::oct << mode << " " << s.error().Message();
    ::chmod((dir_ + "/m").c_str(), 0600);
  }
}

TEST_F(SecretFileTest, GroupOrOtherBitsAreRefusedWithTheMode) {
  for (mode_t mode : {0640, 0604, 0660, 0644, 0610, 0601, 0602, 0620}) {
    const std::string path = Write("p" + std::to_string(mode), "secret-value-99", mode);
    auto s = ReadSecretFile(path);
    ASSERT_FALSE(s.ok()) << std::oct << mode;
    EXPECT_EQ(s.error().kind, Kind::kAccessibleByOthers);
    EXPECT_EQ(s.error().mode, mode);
    EXPECT_EQ(s.error().path, path);
    EXPECT_EQ(s.error().Message().find("secret-value-99"), std::string::npos);
    EXPECT_FALSE(CheckSecretFile(path).ok());
  }
  auto s = ReadSecretFile(Write("o", "x", 0640));
  EXPECT_EQ(s.error().OctalMode(), "640");
  EXPECT_NE(s.error().Message().find("(mode 640)"), std::string::npos);
}

TEST_F(SecretFileTest, MissingFile) {
  auto s = ReadSecretFile(dir_ + "/absent");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, Kind::kMissing);
  EXPECT_NE(s.error().Message().find("does not exist"), std::string::npos);
  auto under_file = ReadSecretFile(Write("plain", "x") + "/child");
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().kind, Kind::kMissing);
}

TEST_F(SecretFileTest, SymlinksAreRefusedUnlessAsked) {
  const std::string target = Write("target", "linked-secret\n");
  const std::string link = Link("link", target);
  auto refused = ReadSecretFile(link);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Kind::kSymlink);
  EXPECT_FALSE(CheckSecretFile(link).ok());
  auto followed = ReadSecretFile(link, {.follow_symlinks = true});
  ASSERT_TRUE(followed.ok()) << followed.error().Message();
  EXPECT_EQ(followed->view(), "linked-secret");
  EXPECT_TRUE(CheckSecretFile(link, {.follow_symlinks = true}).ok());
  // Following a link still checks the target's mode.
  ::chmod(target.c_str(), 0644);
  auto loose = ReadSecretFile(link, {.follow_symlinks = true});
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().kind, Kind::kAccessibleByOthers);
  // A dangling link is missing when followed.
  auto dangling = ReadSecretFile(Link("dangling", dir_ + "/nothing"), {.follow_symlinks = true});
  ASSERT_FALSE(dangling.ok());
  EXPECT_EQ(dangling.error().kind, Kind::kMissing);
}

TEST_F(SecretFileTest, DirectoriesAndFifosAreNotRegular) {
  auto dir = ReadSecretFile(dir_);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().kind, Kind::kNotRegular);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = ReadSecretFile(fifo);  // must not block waiting for a writer
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().kind, Kind::kNotRegular);
  EXPECT_FALSE(CheckSecretFile(fifo).ok());
}

TEST_F(SecretFileTest, SizeCapIsExact) {
  auto at_cap = ReadSecretFile(Write("max", std::string(258, 'x')), {.max_bytes = 258});
  ASSERT_TRUE(at_cap.ok());
  EXPECT_EQ(at_cap->size(), 258u);
  auto over = ReadSecretFile(Write("over", std::string(259, 'x')), {.max_bytes = 258});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, Kind::kTooLarge);
  EXPECT_FALSE(CheckSecretFile(dir_ + "/over", {.max_bytes = 258}).ok());
  EXPECT_TRUE(CheckSecretFile(dir_ + "/over", {.max_bytes = 259}).ok());
  // The cap counts the raw bytes, before the line end is stripped.
  std::string longest_with_crlf(256, 'y');
  longest_with_crlf += "\r\n";  // appended, not operator+: GCC 12 warns falsely on the temporary
  auto crlf = ReadSecretFile(Write("crlf", longest_with_crlf), {.max_bytes = 258});
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(crlf->size(), 256u);
  auto big = ReadSecretFile(Write("big", std::string(70000, 'k')), {.max_bytes = 64 * 1024});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, Kind::kTooLarge);
}

TEST_F(SecretFileTest, EmptyIsRefusedUnlessAllowed) {
  for (const char* content : {"", "\n", "\r\n"}) {
    const std::string path = Write("e", content);
    auto s = ReadSecretFile(path);
    ASSERT_FALSE(s.ok()) << content;
    EXPECT_EQ(s.error().kind, Kind::kEmpty);
    auto allowed = ReadSecretFile(path, {.allow_empty = true});
    ASSERT_TRUE(allowed.ok());
    EXPECT_TRUE(allowed->empty());
  }
}

TEST_F(SecretFileTest, IoErrorsCarryErrno) {
  SecretFileError e{Kind::kIo, "/x", EACCES, 0};
  EXPECT_NE(e.Message().find("/x"), std::string::npos);
  EXPECT_NE(e.Message().find("Permission denied"), std::string::npos);
}

TEST_F(SecretFileTest, WriteNewSecretFileCreatesWithExactMode) {
  const std::string path = dir_ + "/new";
  const SecretBytes secret(std::string_view("fresh-secret\n"));
  ::mode_t old_umask = ::umask(0);  // the mode must not depend on the umask
  auto w = WriteNewSecretFile(path, secret.span(), 0400);
  ::umask(old_umask);
  ASSERT_TRUE(w.ok()) << w.error().Message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  auto back = ReadSecretFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->view(), "fresh-secret");
  ASSERT_TRUE(WriteNewSecretFile(dir_ + "/default", secret.span()).ok());
  ASSERT_EQ(::stat((dir_ + "/default").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(SecretFileTest, WriteNewSecretFileNeverOverwritesOrFollowsLinks) {
  const std::string existing = Write("existing", "old");
  auto w = WriteNewSecretFile(existing, SecretBytes(std::string_view("new")).span());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().what, "create");
  EXPECT_EQ(w.error().sys_errno, EEXIST);
  EXPECT_EQ(ReadSecretFile(existing)->view(), "old");
  // A planted symlink to a file that does not exist yet is not written through.
  const std::string link = Link("planted", dir_ + "/victim");
  EXPECT_FALSE(WriteNewSecretFile(link, SecretBytes(std::string_view("x")).span()).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/victim"));
}

TEST_F(SecretFileTest, WriteNewSecretFileRemovesThePartialFileOnFailure) {
  // A file size limit of 4 bytes makes the write fail after the file was created (EFBIG, with
  // SIGXFSZ ignored); the half-written secret must not stay behind.
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string path = dir_ + "/partial";
  auto w = WriteNewSecretFile(path, SecretBytes(std::string_view("longer than four")).span());
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().what, "write");
  EXPECT_EQ(w.error().sys_errno, EFBIG);
  EXPECT_FALSE(std::filesystem::exists(path));

  auto no_dir = WriteNewSecretFile(dir_ + "/none/x", SecretBytes(std::string_view("x")).span());
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.error().what, "create");
}

}  // namespace
}  // namespace xks
