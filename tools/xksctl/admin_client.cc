#include "tools/xksctl/admin_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/unique_fd.h"
#include "tools/xksctl/cli.h"

namespace xks::xksctl {
namespace {

// A reload of a large configuration or a durable audit append with a slow disk: seconds at most.
constexpr std::chrono::seconds kProxyAnswerTimeout{30};

bool ProxySocketWaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

OperationError ProxyExchangeFailed(const std::string& path, const std::string& why) {
  return OperationError("the proxy's admin socket " + path + ": " + why);
}

}  // namespace

std::optional<nlohmann::json> AskProxy(const config::AuditConfig& audit,
                                       const nlohmann::json& request) {
  const std::string path = config::AdminSocketPath(audit);
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path) return std::nullopt;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw ProxyExchangeFailed(path, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // Absent, or left behind by a proxy that is gone: nobody writes the chain through it.
    if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR) return std::nullopt;
    throw ProxyExchangeFailed(path, std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + kProxyAnswerTimeout;
  const std::string line = request.dump() + "\n";
  for (std::size_t done = 0; done < line.size();) {
    if (!ProxySocketWaitFor(fd.get(), POLLOUT, deadline))
      throw ProxyExchangeFailed(path, "timed out sending");
    const ssize_t n = ::send(fd.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw ProxyExchangeFailed(path, std::string("send: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buf[4096];
  while (answer.find('\n') == std::string::npos) {
    if (!ProxySocketWaitFor(fd.get(), POLLIN, deadline))
      throw ProxyExchangeFailed(path, "no answer within 30 s");
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw ProxyExchangeFailed(path, "the proxy closed the connection without an answer");
    answer.append(buf, static_cast<std::size_t>(n));
  }
  auto parsed = nlohmann::json::parse(answer.substr(0, answer.find('\n')), nullptr, false);
  if (!parsed.is_object() || !parsed.contains("ok")) {
    throw ProxyExchangeFailed(path, "the answer is not what a proxy sends");
  }
  return parsed;
}

}  // namespace xks::xksctl
