// The listener: accepting, admission through the connection registry, start, shutdown and TLS
// reload. Each accepted connection is served by a session (http_session.cc).

#include "proxy/server/server.h"

#include <pthread.h>

#include <future>
#include <utility>

#include "proxy/common/log.h"
#include "proxy/server/http_session.h"
#include "proxy/server/server_impl.h"
#include "proxy/server/tls_context.h"

namespace xks::server {
namespace {

std::string PeerAddress(const tcp::endpoint& endpoint) {
  const std::string ip = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + ip + "]:" + port : ip + ":" + port;
}

}  // namespace

Result<void, Problem> ServerImpl::Start() {
  std::lock_guard lock(lifecycle_mutex_);
  if (started_) return Fail(MakeProblem("server", "already started"));
  if (options_.insecure) {
    if (options_.warn_if_insecure) {
      LogWarning(kServerLogComponent,
                 "INSECURE MODE: plain HTTP without TLS or client authentication on " +
                     options_.address + "; for local tests only, never in production");
    }
  } else {
    auto ctx = MakeServerSslContext(options_.tls);
    if (!ctx.ok()) return Fail(std::move(ctx).error());
    tls_ = std::make_shared<ssl::context>(std::move(ctx).value().release());
  }
  if (!handler_) return Fail(MakeProblem("server", "no request handler"));
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return Fail(MakeProblem("server.listen_address",
                            "bad listen address '" + options_.address + "': " + ec.message(),
                            "give an IPv4 or IPv6 address, not a host name"));
  }
  const tcp::endpoint endpoint(address, options_.port);
  const auto fail = [&](std::string_view what) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return Fail(MakeProblem("server",
                            std::string(what) + " " + PeerAddress(endpoint) + ": " + ec.message()));
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("option");
  if (acceptor_.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  port_.store(acceptor_.local_endpoint(ec).port());

  pool_ = std::make_unique<WorkerPool>(options_.worker_threads, options_.queue_limit,
                                       options_.low_priority_queue_limit);
  work_.emplace(net::make_work_guard(ioc_));
  DoAccept();  // no thread runs yet, so this is on the acceptor's strand in effect
  const int threads = std::max(1, options_.io_threads);
  for (int i = 0; i < threads; ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
    // Named, so `top -H` and a profile tell an operator which stage is busy.
    pthread_setname_np(io_threads_.back().native_handle(), "xks-io");
  }
  started_ = true;
  // The limits in force, so an operator (and the end-to-end test) can see what was configured.
  const auto ms = [](std::chrono::milliseconds value) { return std::to_string(value.count()); };
  LogInfo(
      kServerLogComponent,
      std::string("listening on ") + PeerAddress(tcp::endpoint(address, port_.load())) +
          (options_.insecure ? " (plain HTTP)" : " (TLS)") + ", io_threads=" +
          std::to_string(threads) + ", worker_threads=" + std::to_string(options_.worker_threads) +
          ", queue_limit=" + std::to_string(options_.queue_limit) +
          ", low_priority_queue_limit=" + std::to_string(options_.low_priority_queue_limit) +
          ", max_connections=" + std::to_string(options_.max_connections) +
          ", max_connections_per_address=" + std::to_string(options_.max_connections_per_address) +
          ", max_handshakes_in_progress=" + std::to_string(options_.max_handshakes_in_progress) +
          ", idle_timeout_ms=" + ms(options_.idle_timeout) +
          ", unauthenticated_idle_timeout_ms=" + ms(options_.unauthenticated_idle_timeout));
  return {};
}

void ServerImpl::DoAccept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&ServerImpl::OnAccept, this));
}

void ServerImpl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || draining_.load()) return;
  if (ec) {
    // EMFILE and friends fail at once and again: back off briefly instead of spinning and
    // flooding the log, then keep accepting (the condition is usually transient).
    LogWarning(kServerLogComponent, "accept failed: " + ec.message() + "; retrying in 100 ms");
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open() && !draining_.load()) DoAccept();
    });
    return;
  }
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);  // reset before we got to it
    return DoAccept();
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<ssl::context> tls;  // null in insecure mode
  if (!options_.insecure) {
    std::lock_guard lock(tls_mutex_);
    tls = tls_;
  }
  Admit(std::move(socket), peer, std::move(tls));
  DoAccept();
}

// A refused newcomer is simply dropped: its destructor closes the socket before it read a byte.
void ServerImpl::Admit(tcp::socket socket, const tcp::endpoint& peer,
                       std::shared_ptr<ssl::context> tls) {
  auto session = MakeHttpSession(*this, std::move(socket), PeerAddress(peer), std::move(tls));
  const auto admission =
      connections_.Admit(session, peer.address().to_string(), !options_.insecure);
  if (admission == ConnectionRegistry::Admission::kAdmitted) session->Run();
}

void ServerImpl::Reject(const HttpRequest& partial, const Error& error, int status) const {
  if (observer_) observer_(partial, error, status);
}

void ServerImpl::Shutdown(std::chrono::milliseconds grace) {
  std::lock_guard lock(lifecycle_mutex_);
  if (!started_ || stopped_) return;
  stopped_ = true;
  draining_.store(true);
  std::promise<void> closed;
  net::post(acceptor_.get_executor(), [this, &closed] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  for (auto& session : connections_.Snapshot()) session->CloseIfIdle();
  if (!connections_.WaitUntilEmpty(grace)) {
    LogWarning(kServerLogComponent, "shutdown grace expired; closing remaining connections");
    for (auto& session : connections_.Snapshot()) session->ForceClose();
  }
  pool_->Stop();  // waits for running handlers; queued ones still see their deadline
  work_.reset();
  ioc_.stop();
  for (auto& thread : io_threads_) thread.join();
  io_threads_.clear();
  {
    std::lock_guard gate(gate_->mutex);
    gate_->open = false;
  }
  LogInfo(kServerLogComponent, "stopped");
}

Result<void, Problem> ServerImpl::ReloadTls(const TlsOptions& tls) {
  if (options_.insecure) {
    return Fail(MakeProblem("server.tls", "the listener is insecure (no TLS to reload)"));
  }
  auto ctx = MakeServerSslContext(tls);
  if (!ctx.ok()) return Fail(std::move(ctx).error());
  auto fresh = std::make_shared<ssl::context>(std::move(ctx).value().release());
  {
    std::lock_guard lock(tls_mutex_);
    tls_ = std::move(fresh);
  }
  LogInfo(kServerLogComponent, "TLS context reloaded for new connections");
  return {};
}

Server::Stats ServerImpl::GetStats() const {
  Server::Stats stats{};
  stats.requests = requests_.load();
  stats.throttled = throttled_.load();
  stats.timed_out = timed_out_.load();
  stats.rejected = rejected_.load();
  stats.handshakes = handshakes_.load();
  stats.handshake_failures = handshake_failures_.load();
  const ConnectionRegistry::Counts connections = connections_.counts();
  stats.connections_open = connections.open;
  stats.connections_refused = connections.refused;
  stats.connections_evicted = connections.evicted;
  stats.handshakes_in_progress = connections.handshaking;
  stats.queued = pool_ ? pool_->queued() : 0;
  return stats;
}

Server::Server(ServerOptions options, AsyncHandler handler, RejectionObserver observer)
    : impl_(std::make_unique<ServerImpl>(std::move(options), std::move(handler),
                                         std::move(observer))) {}

namespace {

ServerOptions ForBlockingHandler(ServerOptions options) {
  options.run_authenticated_inline = false;  // it would block the I/O thread
  return options;
}

}  // namespace

Server::Server(ServerOptions options, Handler handler, RejectionObserver observer)
    : Server(ForBlockingHandler(std::move(options)),
             handler ? AsyncHandler([handler = std::move(handler)](const HttpRequest& request,
                                                                   const Respond& respond) {
               respond(handler(request));
             })
                     : AsyncHandler(),
             std::move(observer)) {}

Server::~Server() { impl_->Shutdown(std::chrono::milliseconds(0)); }

Result<void, Problem> Server::Start() { return impl_->Start(); }

std::uint16_t Server::port() const { return impl_->port_.load(); }

void Server::Shutdown(std::chrono::milliseconds grace) { impl_->Shutdown(grace); }

Result<void, Problem> Server::ReloadTls(const TlsOptions& tls) { return impl_->ReloadTls(tls); }

Server::Stats Server::stats() const { return impl_->GetStats(); }

}  // namespace xks::server
