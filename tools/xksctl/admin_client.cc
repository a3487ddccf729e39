#include "tools/xksctl/admin_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/line_io.h"
#include "base/unique_fd.h"
#include "tools/xksctl/cli.h"

namespace xks::xksctl {
namespace {

// A reload of a large configuration or a durable audit append with a slow disk: seconds at most.
constexpr std::chrono::seconds kProxyAnswerTimeout{30};
// A status or a reload's problems: far below this.
constexpr std::size_t kMaxProxyAnswerBytes = 4 << 20;

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
  if (SendAllBefore(fd.get(), request.dump() + "\n", deadline) != LineIoResult::kOk) {
    throw ProxyExchangeFailed(path, std::string("sending failed: ") + std::strerror(errno));
  }
  std::string answer;
  switch (ReadLineBefore(fd.get(), deadline, kMaxProxyAnswerBytes, answer)) {
    case LineIoResult::kOk:
      break;
    case LineIoResult::kTimedOut:
      throw ProxyExchangeFailed(path, "no answer within 30 s");
    case LineIoResult::kClosed:
      throw ProxyExchangeFailed(path, "the proxy closed the connection without an answer");
    case LineIoResult::kTooLong:
    case LineIoResult::kFailed:
      throw ProxyExchangeFailed(path, "the answer could not be read");
  }
  auto parsed = nlohmann::json::parse(answer, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("ok")) {
    throw ProxyExchangeFailed(path, "the answer is not what a proxy sends");
  }
  return parsed;
}

}  // namespace xks::xksctl
