#pragma once
// The proxy's local admin socket (audit.admin_socket): a Unix domain stream socket, mode 0600,
// through which xksctl on the same machine asks the running proxy to reload, appends its
// administrative events to the proxy's own audit chain, and reads live status. One request per
// connection: one JSON object on one line in, one JSON object on one line out.
//
// Only the proxy's own user and root get in: the file mode keeps others from connecting, and the
// peer credentials (SO_PEERCRED) of every connection are checked again, so a socket file made
// accessible by mistake does not open the door. Requests are served one at a time on a thread of
// their own ("xks-admin"), never on the server's I/O threads: a reload or a durable audit append
// may take a while, and administrative requests are rare.
//
// Thread safety: Start/Stop from one thread; the handler runs on the admin thread.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/problem.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace xks::runtime {

class AdminSocketServer {
 public:
  /// Answers one request (a JSON object); runs on the admin thread.
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  /// Binds `path` (replacing a stale socket a crashed proxy left behind, never any other kind of
  /// file, nor a socket someone still listens on), sets mode 0600 and starts serving. Errors: a
  /// Problem at audit.admin_socket.
  static Result<std::unique_ptr<AdminSocketServer>, Problem> Start(const std::string& path,
                                                                   Handler handler);
  /// Stop()s.
  ~AdminSocketServer();
  AdminSocketServer(const AdminSocketServer&) = delete;
  AdminSocketServer& operator=(const AdminSocketServer&) = delete;

  /// Finishes the request being served, stops accepting and removes the socket file. Idempotent.
  void Stop();

 private:
  AdminSocketServer(std::string path, UniqueFd listener, UniqueFd wakeup, Handler handler);
  void Serve();
  void ServeConnection(int fd);

  const std::string path_;
  UniqueFd listener_;
  UniqueFd wakeup_;  // eventfd: Stop() wakes the poll
  Handler handler_;
  std::thread thread_;
};

}  // namespace xks::runtime
