// file_io: ReadAll caps, WriteAll, SyncAndClose, SyncParentDirectory, WriteFileAtomic.

#include "base/file_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

namespace xks {
namespace {

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "file-io-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_TRUE(fd.ok());
    EXPECT_TRUE(WriteAll(fd->get(), content).ok());
    return path;
  }
  std::string dir_;
};

TEST_F(FileIoTest, OpenFileReportsErrno) {
  auto fd = OpenFile(dir_ + "/absent", O_RDONLY);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().what, "open");
  EXPECT_EQ(fd.error().sys_errno, ENOENT);
  EXPECT_NE(fd.error().Message().find("No such file"), std::string::npos);
}

TEST_F(FileIoTest, OpenFileSetsCloseOnExec) {
  auto fd = OpenFile(Write("a", "x"), O_RDONLY);
  ASSERT_TRUE(fd.ok());
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(FileIoTest, ReadAllToStringAppendsAndCaps) {
  const std::string big(200000, 'q');  // more than one 64 KiB chunk
  const std::string path = Write("big", big);
  std::string out = "prefix:";
  auto fd = OpenFile(path, O_RDONLY);
  ASSERT_TRUE(ReadAll(fd->get(), out).ok());
  EXPECT_EQ(out, "prefix:" + big);

  std::string exact;
  auto again = OpenFile(path, O_RDONLY);
  EXPECT_TRUE(ReadAll(again->get(), exact, big.size()).ok());
  EXPECT_EQ(exact.size(), big.size());

  std::string capped;
  auto third = OpenFile(path, O_RDONLY);
  auto r = ReadAll(third->get(), capped, big.size() - 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EFBIG);
}

TEST_F(FileIoTest, ReadAllToSecretBytesCapsAtTheExactBoundary) {
  const std::string path = Write("s", std::string(5000, 's'));  // grows the buffer past 4096
  SecretBytes all;
  auto fd = OpenFile(path, O_RDONLY);
  ASSERT_TRUE(ReadAll(fd->get(), all, 5000).ok());
  EXPECT_EQ(all.view(), std::string(5000, 's'));

  SecretBytes over;
  auto again = OpenFile(path, O_RDONLY);
  auto r = ReadAll(again->get(), over, 4999);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EFBIG);

  SecretBytes unlimited;
  auto third = OpenFile(path, O_RDONLY);
  ASSERT_TRUE(ReadAll(third->get(), unlimited).ok());
  EXPECT_EQ(unlimited.size(), 5000u);
}

TEST_F(FileIoTest, ReadAllReportsReadErrors) {
  auto fd = OpenFile(dir_, O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd.ok());
  std::string out;
  auto r = ReadAll(fd->get(), out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what, "read");
  EXPECT_EQ(r.error().sys_errno, EISDIR);
}

TEST_F(FileIoTest, WriteAllReportsErrors) {
  auto fd = OpenFile(Write("ro", ""), O_RDONLY);
  auto r = WriteAll(fd->get(), std::string_view("data"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what, "write");
  EXPECT_EQ(r.error().sys_errno, EBADF);
}

TEST_F(FileIoTest, SyncAndCloseClosesEvenWhenFsyncFails) {
  // fsync on a pipe fails with EINVAL; the descriptor must be closed all the same.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[1]);
  auto r = SyncAndClose(UniqueFd(pipe_fds[0]));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what, "fsync");
  EXPECT_EQ(r.error().sys_errno, EINVAL);
  errno = 0;
  EXPECT_EQ(::fcntl(pipe_fds[0], F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(FileIoTest, SyncAndCloseSucceedsOnAFile) {
  auto fd = OpenFile(dir_ + "/f", O_WRONLY | O_CREAT, 0600);
  const int raw = fd->get();
  EXPECT_TRUE(SyncAndClose(std::move(fd).value()).ok());
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

TEST_F(FileIoTest, SyncParentDirectory) {
  EXPECT_TRUE(SyncParentDirectory(Write("x", "1")).ok());
  auto r = SyncParentDirectory(dir_ + "/no/such/dir/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what, "open directory");
}

TEST_F(FileIoTest, WriteFileAtomicCreatesAndReplacesWithTheMode) {
  const std::string path = dir_ + "/config.json";
  ASSERT_TRUE(WriteFileAtomic(path, "one", 0640).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two", 0600).ok());
  std::string out;
  auto fd = OpenFile(path, O_RDONLY);
  ASSERT_TRUE(ReadAll(fd->get(), out).ok());
  EXPECT_EQ(out, "two");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // no temporary file is left behind
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(FileIoTest, WriteFileAtomicFailsWithoutTouchingTheTarget) {
  // The rename fails because the target is a non-empty directory; the temporary file must go.
  const std::string target = dir_ + "/target";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  Write("target/inside", "keep");
  auto r = WriteFileAtomic(target, "new", 0600);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().what, "rename");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
  EXPECT_TRUE(std::filesystem::exists(target + "/inside"));

  auto missing_dir = WriteFileAtomic(dir_ + "/none/file", "x", 0600);
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().what, "create temporary file");
}

// Replacing a file can keep its owner and group; who may not give a file away is told so and
// the target stays as it was.
TEST_F(FileIoTest, WriteFileAtomicKeepsTheOwnerItIsGiven) {
  const std::string path = dir_ + "/owned.json";
  ASSERT_TRUE(WriteFileAtomic(path, "mine", 0640, FileOwner{::getuid(), ::getgid()}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getuid());
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  constexpr uid_t kNobody = 65534;
  if (::geteuid() == 0) {
    ASSERT_TRUE(WriteFileAtomic(path, "theirs", 0640, FileOwner{kNobody, kNobody}).ok());
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, kNobody);
    EXPECT_EQ(st.st_gid, kNobody);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
  } else {
    auto refused = WriteFileAtomic(path, "theirs", 0640, FileOwner{kNobody, kNobody});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().what, "fchown temporary file");
    std::string out;
    auto fd = OpenFile(path, O_RDONLY);
    ASSERT_TRUE(ReadAll(fd->get(), out).ok());
    EXPECT_EQ(out, "mine");
  }
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace xks
