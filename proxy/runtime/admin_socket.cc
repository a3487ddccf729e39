#include "proxy/runtime/admin_socket.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/line_io.h"
#include "proxy/common/log.h"

namespace xks::runtime {
namespace {

constexpr std::string_view kAdminSocketComponent = "admin";
// An admin request is a command and at most an event's details: far below this.
constexpr std::size_t kMaxAdminRequestBytes = 1 << 20;
// A client that connects and says nothing must not block the next one for long.
constexpr std::chrono::seconds kAdminExchangeTimeout{5};

using AdminClock = std::chrono::steady_clock;

Problem AdminSocketProblem(const std::string& what, const std::string& fix = "") {
  return MakeProblem("audit.admin_socket", what, fix);
}

Result<sockaddr_un, Problem> SocketAddressOf(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Fail(AdminSocketProblem("the path " + path + " does not fit a Unix socket address"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A socket file left by a proxy that crashed is replaced; anything else at the path is an error.
Result<void, Problem> ClearStaleAdminSocket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Fail(AdminSocketProblem("cannot inspect " + path + ": " + std::strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Fail(AdminSocketProblem(path + " exists and is not a socket",
                                   "remove it or choose another audit.admin_socket"));
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return Fail(AdminSocketProblem("another process listens on " + path,
                                   "one proxy per audit directory; stop the other one first"));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Fail(
        AdminSocketProblem("cannot remove the stale socket " + path + ": " + std::strerror(errno)));
  }
  return {};
}

nlohmann::json SocketRefusal(const std::string& error) { return {{"ok", false}, {"error", error}}; }

}  // namespace

AdminSocketServer::AdminSocketServer(std::string path, UniqueFd listener, UniqueFd wakeup,
                                     Handler handler)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      wakeup_(std::move(wakeup)),
      handler_(std::move(handler)) {}

Result<std::unique_ptr<AdminSocketServer>, Problem> AdminSocketServer::Start(
    const std::string& path, Handler handler) {
  auto addr = SocketAddressOf(path);
  if (!addr.ok()) return Fail(std::move(addr).error());
  if (auto cleared = ClearStaleAdminSocket(path, addr.value()); !cleared.ok()) {
    return Fail(std::move(cleared).error());
  }
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  UniqueFd wakeup(::eventfd(0, EFD_CLOEXEC));
  if (!listener || !wakeup)
    return Fail(AdminSocketProblem(std::string("socket: ") + std::strerror(errno)));
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr.value()),
             sizeof addr.value()) != 0) {
    return Fail(AdminSocketProblem("cannot bind " + path + ": " + std::strerror(errno),
                                   "the directory must exist and be writable by the proxy's user"));
  }
  // Between bind and chmod the file has the umask's mode: the peer credential check below keeps
  // that moment harmless (umask is process-wide, so it cannot be narrowed for this file alone).
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(listener.get(), 8) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(path.c_str());
    return Fail(AdminSocketProblem("cannot set up " + path + ": " + why));
  }
  std::unique_ptr<AdminSocketServer> server(
      new AdminSocketServer(path, std::move(listener), std::move(wakeup), std::move(handler)));
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  pthread_setname_np(server->thread_.native_handle(), "xks-admin");
  return server;
}

AdminSocketServer::~AdminSocketServer() { Stop(); }

void AdminSocketServer::Stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wakeup_.get(), &one, sizeof one);
  thread_.join();
  ::unlink(path_.c_str());
}

void AdminSocketServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wakeup_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LogError(kAdminSocketComponent,
               std::string("poll failed, the admin socket stops: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn) ServeConnection(conn.get());
  }
}

void AdminSocketServer::ServeConnection(int fd) {
  const auto deadline = AdminClock::now() + kAdminExchangeTimeout;
  ucred peer{};
  socklen_t len = sizeof peer;
  nlohmann::json answer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
    answer = SocketRefusal("cannot read the peer's credentials");
  } else if (peer.uid != 0 && peer.uid != ::geteuid()) {
    LogWarning(kAdminSocketComponent, "refused a connection from uid " + std::to_string(peer.uid) +
                                          " (pid " + std::to_string(peer.pid) + ")");
    answer =
        SocketRefusal("permission denied: only root and the proxy's own user may use this socket");
  } else if (std::string line;
             ReadLineBefore(fd, deadline, kMaxAdminRequestBytes, line) != LineIoResult::kOk) {
    answer = SocketRefusal("expected one JSON object on one line within 5 s (at most 1 MiB)");
  } else if (auto request = nlohmann::json::parse(line, nullptr, false); !request.is_object()) {
    answer = SocketRefusal("the request is not a JSON object");
  } else {
    try {
      answer = handler_(request);
    } catch (const std::exception& e) {
      LogError(kAdminSocketComponent, std::string("admin request failed: ") + e.what());
      answer = SocketRefusal("internal error (see the proxy's log)");
    }
  }
  // replace: a request may carry invalid UTF-8, which an answer echoing it must not choke on.
  // Best effort: a client that went away has nothing left to hear.
  (void)SendAllBefore(
      fd, answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", deadline);
}

}  // namespace xks::runtime
