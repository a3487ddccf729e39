#include "base/line_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace xks {
namespace {

// Ready for `events` before the deadline?
LineIoResult WaitReady(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return LineIoResult::kTimedOut;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return LineIoResult::kOk;
    if (n < 0 && errno != EINTR) return LineIoResult::kFailed;
  }
}

}  // namespace

LineIoResult SendAllBefore(int fd, std::string_view data,
                           std::chrono::steady_clock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    if (const LineIoResult ready = WaitReady(fd, POLLOUT, deadline); ready != LineIoResult::kOk) {
      return ready;
    }
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EPIPE ? LineIoResult::kClosed : LineIoResult::kFailed;
    done += static_cast<std::size_t>(n);
  }
  return LineIoResult::kOk;
}

LineIoResult ReadLineBefore(int fd, std::chrono::steady_clock::time_point deadline,
                            std::size_t max_bytes, std::string& line) {
  char buf[4096];
  for (;;) {
    if (const auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      return LineIoResult::kOk;
    }
    if (line.size() > max_bytes) return LineIoResult::kTooLong;
    if (const LineIoResult ready = WaitReady(fd, POLLIN, deadline); ready != LineIoResult::kOk) {
      return ready;
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return LineIoResult::kFailed;
    if (n == 0) return LineIoResult::kClosed;
    line.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace xks
