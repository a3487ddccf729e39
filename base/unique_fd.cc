#include "base/unique_fd.h"

#include <unistd.h>

#include <cerrno>

namespace xks {
namespace {

// close(2) is never retried: on Linux the descriptor is released even when close reports EINTR,
// and retrying could close a descriptor another thread has just been given. EINTR therefore
// counts as closed (callers that need durability fsync before closing).
int CloseOnce(int fd) {
  if (::close(fd) == 0 || errno == EINTR) return 0;
  return errno;
}

}  // namespace

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) CloseOnce(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int UniqueFd::Release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) CloseOnce(fd_);
  fd_ = fd < 0 ? -1 : fd;
}

int UniqueFd::Close() noexcept {
  if (fd_ < 0) return 0;
  return CloseOnce(Release());
}

}  // namespace xks
