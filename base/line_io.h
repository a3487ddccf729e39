#pragma once
// One line of text over a stream socket, with a deadline: the exchange of the proxy's admin
// socket (proxy/runtime/admin_socket.h) and of xksctl's side of it (tools/xksctl/admin_client.h).
// poll() before every read and write, so a silent peer costs at most the deadline; EINTR is
// retried; SIGPIPE is never raised (MSG_NOSIGNAL).
// Thread safety: no shared state.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace xks {

enum class LineIoResult {
  kOk,
  kTimedOut,  ///< the deadline passed first
  kClosed,    ///< the peer closed (before a whole line, when reading)
  kFailed,    ///< a poll, read or send error (errno says which)
  kTooLong,   ///< more than max_bytes without a line end
};

/// Sends all of `data` before `deadline`.
LineIoResult SendAllBefore(int fd, std::string_view data,
                           std::chrono::steady_clock::time_point deadline);

/// Reads until a '\n' arrives, before `deadline`; `line` gets the text before it (what came
/// after it is dropped: one request, one answer).
LineIoResult ReadLineBefore(int fd, std::chrono::steady_clock::time_point deadline,
                            std::size_t max_bytes, std::string& line);

}  // namespace xks
