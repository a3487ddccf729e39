#pragma once
// Private to proxy/server (included by server.cc and http_session.cc only): the server's shared
// state, which every session reads. Sessions hold a plain reference to ServerImpl: it owns the
// io_context, so every session (and every handler holding one) is destroyed before the Impl's
// other members are. With http_session.cc, the only place that includes Beast/Asio.

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/server/connection_registry.h"
#include "proxy/server/server.h"
#include "proxy/server/worker_pool.h"

namespace xks::server {

// Short names for the two private translation units of the listener.
namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

inline constexpr std::string_view kServerLogComponent = "server";

// What a Respond holds of the server: responses may arrive from other threads after Shutdown has
// stopped the I/O threads, when posting to the io_context (or touching a session) is no longer
// allowed. Shutdown closes the gate once its threads are joined; a late response is dropped.
struct ResponseGate {
  std::mutex mutex;
  bool open = true;
};

class ServerImpl {
 public:
  ServerImpl(ServerOptions options, AsyncHandler handler, RejectionObserver observer)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        observer_(std::move(observer)),
        connections_(ConnectionLimits{options_.max_connections,
                                      options_.max_connections_per_address,
                                      options_.max_handshakes_in_progress}),
        ioc_(std::max(1, options_.io_threads)),
        acceptor_(net::make_strand(ioc_)) {}

  Result<void, Problem> Start();
  void Shutdown(std::chrono::milliseconds grace);
  Result<void, Problem> ReloadTls(const TlsOptions& tls);
  Server::Stats GetStats() const;

  // Used by sessions.
  void Reject(const HttpRequest& partial, const Error& error, int status) const;

  const ServerOptions options_;
  const AsyncHandler handler_;
  const std::shared_ptr<ResponseGate> gate_ = std::make_shared<ResponseGate>();
  const RejectionObserver observer_;
  std::atomic<bool> draining_{false};
  std::atomic<std::uint64_t> requests_{0}, throttled_{0}, timed_out_{0}, rejected_{0};
  std::atomic<std::uint64_t> handshakes_{0}, handshake_failures_{0};
  std::atomic<std::uint16_t> port_{0};
  std::unique_ptr<WorkerPool> pool_;
  ConnectionRegistry connections_;

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void Admit(tcp::socket socket, const tcp::endpoint& peer, std::shared_ptr<ssl::context> tls);

  std::mutex lifecycle_mutex_;
  bool started_ = false;
  bool stopped_ = false;
  mutable std::mutex tls_mutex_;
  std::shared_ptr<ssl::context> tls_;
  // Declared after everything sessions touch, so it is destroyed (with any pending handlers and
  // the sessions they own) while those members still exist.
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_{acceptor_.get_executor()};  // same strand as the acceptor
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
};

}  // namespace xks::server
