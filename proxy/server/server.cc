// The only translation unit that includes Beast/Asio: the listener, the per-connection HTTP
// session and the glue to the worker pool. Sessions hold a plain reference to ServerImpl: it owns
// the io_context, so every session (and every handler holding one) is destroyed before the Impl's
// other members are.

#include "proxy/server/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "proxy/common/log.h"
#include "proxy/common/ping.h"
#include "proxy/server/connection_registry.h"
#include "proxy/server/error_body.h"
#include "proxy/server/http_framing.h"
#include "proxy/server/tls_context.h"
#include "proxy/server/worker_pool.h"

namespace xks::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kComponent = "server";
constexpr std::size_t kReadChunk = 16 * 1024;
// After refusing a request we read and discard what the client is still sending (up to this
// much) before closing: closing with unread data makes the kernel send RST, which can destroy
// our error response before the client reads it.
constexpr std::size_t kMinDrainBytes = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds kDrainQuiet{300};
// The whole drain ends by this deadline, however slowly the client trickles bytes: a refused
// client must not hold its connection slot for longer than this.
constexpr std::chrono::milliseconds kDrainCap{2000};
// A peer that never answers close_notify must not hold a connection (or Shutdown) for long.
constexpr std::chrono::milliseconds kTlsShutdownCap{2000};

std::string PeerAddress(const tcp::endpoint& endpoint) {
  const std::string ip = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + ip + "]:" + port : ip + ":" + port;
}

bool IsServerSetHeader(std::string_view name) {
  return HeaderNameEquals(name, "Content-Length") || HeaderNameEquals(name, "Connection") ||
         HeaderNameEquals(name, "Transfer-Encoding") || HeaderNameEquals(name, "Keep-Alive");
}

// What an observer may see of a request: never the body (it may hold plaintext).
HttpRequest WithoutBody(const HttpRequest& request) {
  HttpRequest copy;
  copy.method = request.method;
  copy.target = request.target;
  copy.version = request.version;
  copy.headers = request.headers;
  copy.connection = request.connection;
  copy.received_at = request.received_at;
  return copy;
}

}  // namespace

/// A connection as the Impl and its registry see it. CloseIfIdle and ForceClose post to the
/// connection's strand.
using SessionBase = RegisteredConnection;

class ServerImpl {
 public:
  ServerImpl(ServerOptions options, Handler handler, RejectionObserver observer)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        observer_(std::move(observer)),
        connections_(ConnectionLimits{options_.max_connections,
                                      options_.max_connections_per_address,
                                      options_.max_handshakes_in_progress}),
        ioc_(std::max(1, options_.io_threads)),
        acceptor_(net::make_strand(ioc_)) {}

  Result<void, std::string> Start();
  void Shutdown(std::chrono::milliseconds grace);
  Result<void, std::string> ReloadTls(const TlsOptions& tls);
  Server::Stats GetStats() const;

  // Used by sessions.
  void Reject(const HttpRequest& partial, const Error& error, int status) const;

  const ServerOptions options_;
  const Handler handler_;
  const RejectionObserver observer_;
  std::atomic<bool> draining_{false};
  std::atomic<std::uint64_t> requests_{0}, throttled_{0}, timed_out_{0}, rejected_{0};
  std::atomic<std::uint16_t> port_{0};
  std::unique_ptr<WorkerPool> pool_;
  ConnectionRegistry connections_;

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  template <typename Session, typename... Args>
  void Admit(tcp::socket socket, const tcp::endpoint& peer, Args&&... args);

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

namespace {

/// One connection: reads a request header, checks its framing, reads the body, hands the request
/// to the worker pool (or answers it), writes the response, repeats. Every step runs on the
/// connection's strand; only the handler runs elsewhere. At most one request is in flight, so
/// pipelined requests are answered in order.
template <bool kTls>
class HttpSession : public SessionBase, public std::enable_shared_from_this<HttpSession<kTls>> {
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;
  enum class State { kHandshake, kIdle, kReading, kBusy, kClosing };

 public:
  HttpSession(ServerImpl& server, tcp::socket&& socket, std::string peer,
              std::shared_ptr<ssl::context> tls) requires kTls : server_(server),
                                                                 tls_(std::move(tls)),
                                                                 stream_(std::move(socket), *tls_),
                                                                 executor_(stream_.get_executor()),
                                                                 budget_timer_(executor_) {
    info_.peer_address = std::move(peer);
    set_evictable(true);
  }
  HttpSession(ServerImpl& server, tcp::socket&& socket, std::string peer) requires(!kTls)
      : server_(server),
        stream_(std::move(socket)),
        executor_(stream_.get_executor()),
        budget_timer_(executor_) {
    info_.peer_address = std::move(peer);
    set_evictable(true);
  }
  ~HttpSession() override { server_.connections_.Remove(this); }

  void Run() { net::dispatch(executor_, beast::bind_front_handler(&HttpSession::OnRun, Self())); }
  void CloseIfIdle() override {
    net::post(executor_, [self = Self()] {
      if (self->state_ != State::kIdle && self->state_ != State::kHandshake) return;
      beast::error_code ignored;  // the socket may be closed already (failed handshake)
      self->Socket().cancel(ignored);
    });
  }
  void ForceClose() override {
    net::post(executor_, [self = Self()] { self->Lowest().close(); });
  }

 private:
  std::shared_ptr<HttpSession> Self() { return this->shared_from_this(); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  tcp::socket& Socket() { return Lowest().socket(); }

  void OnRun() {
    info_.tls = kTls;
    if constexpr (kTls) {
      Lowest().expires_after(server_.options_.read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&HttpSession::OnHandshake, Self()));
    } else {
      DoRead();
    }
  }

  void OnHandshake(beast::error_code ec) {
    server_.connections_.HandshakeFinished(this);
    if (ec) return OnHandshakeFailed(ec);
    if constexpr (kTls) info_.client_cert_subject = PeerCertificateSubject(stream_.native_handle());
    DoRead();
  }

  void OnHandshakeFailed(beast::error_code ec) {
    if constexpr (kTls) {
      // A refused client certificate is a security event; other failures (scanners, protocol or
      // cipher mismatch, timeouts) are routine noise and not logged. The client was told only
      // handshake_failure; the log gets the real reason.
      const unsigned long code = ec.category() == net::error::get_ssl_category()
                                     ? static_cast<unsigned long>(static_cast<unsigned>(ec.value()))
                                     : 0;
      if (auto reason = ClientCertificateRefusal(stream_.native_handle(), code)) {
        LogWarning(kComponent,
                   "client certificate rejected from " + info_.peer_address + ": " + *reason);
      }
    }
    state_ = State::kClosing;
    Lowest().close();
  }

  // Connections that have not proven credentials get the shorter idle limit: holding a slot
  // must cost an attacker more than a TCP connection and a ping now and then.
  std::chrono::milliseconds IdleLimit() const {
    const auto& options = server_.options_;
    if (info_.authenticated) return options.idle_timeout;
    return std::min(options.idle_timeout, options.unauthenticated_idle_timeout);
  }

  // Waiting for the first byte of a request is the idle phase; from then on the whole request
  // must arrive within read_timeout.
  void DoRead() {
    if (server_.draining_.load()) return DoClose();
    state_ = State::kIdle;
    if (buffer_.size() > 0) return DoReadHeader();
    Lowest().expires_after(IdleLimit());
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&HttpSession::OnFirstBytes, Self()));
  }

  void OnFirstBytes(beast::error_code ec, std::size_t bytes) {
    buffer_.commit(bytes);
    if (ec) return DoClose();
    DoReadHeader();
  }

  void DoReadHeader() {
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(server_.options_.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(server_.options_.max_body_bytes));
    Lowest().expires_after(server_.options_.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::OnHeader, Self()));
  }

  // The body is read only once the header's framing is known to be sound: Beast alone would take
  // e.g. `Transfer-Encoding: identity` as "no body" and the body as the next request.
  void OnHeader(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return OnReadFailed(ec);
    request_ = std::make_shared<HttpRequest>(ToRequest(parser_->get()));
    auto framing = CheckRequestFraming(request_->version, request_->headers);
    if (!framing.ok()) {
      const FramingRefusal& refusal = framing.error();
      return RejectAndClose(refusal.status, refusal.message, refusal.drain_by_silence);
    }
    // Oversized declared bodies were refused by the parser already (413 above, no 100). A client
    // that sent the body without waiting needs no 100.
    if (framing->expects_continue && !parser_->is_done() && buffer_.size() == 0) {
      return WriteContinue();
    }
    DoReadBody();
  }

  void WriteContinue() {
    continue_.emplace(http::status::continue_, 11);
    Lowest().expires_after(server_.options_.write_timeout);
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&HttpSession::OnContinueWritten, Self()));
  }

  void OnContinueWritten(beast::error_code ec, std::size_t /*bytes*/) {
    continue_.reset();
    if (ec) return Lowest().close();
    Lowest().expires_after(server_.options_.read_timeout);  // the client waited for us
    DoReadBody();
  }

  void DoReadBody() {
    if (parser_->is_done()) return OnRequest();
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnBody, Self()));
  }

  void OnBody(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return OnReadFailed(ec);
    OnRequest();
  }

  void OnReadFailed(beast::error_code ec) {
    const auto& http_category = http::make_error_code(http::error::end_of_stream).category();
    if (ec == http::error::end_of_stream || ec.category() != http_category) {
      return DoClose();  // peer went away, timed out, or we cancelled: nobody to answer
    }
    const auto& options = server_.options_;
    if (ec == http::error::body_limit) {
      return RejectAndClose(
          413, "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return RejectAndClose(
          431, "request header exceeds " + std::to_string(options.max_header_bytes) + " bytes");
    }
    // Framing Beast refuses itself, named as CheckRequestFraming names what it refuses.
    if (ec == http::error::bad_transfer_encoding) {
      return RejectAndClose(400, "the only Transfer-Encoding accepted is chunked", true);
    }
    if (ec == http::error::bad_content_length || ec == http::error::multiple_content_length) {
      // Beast also reports a Content-Length after Transfer-Encoding: chunked this way.
      return RejectAndClose(
          400, "Content-Length must be one decimal number, without Transfer-Encoding", true);
    }
    RejectAndClose(400, "malformed HTTP request");
  }

  void RejectAndClose(int status, std::string message, bool drain_by_silence = false) {
    // The parser keeps whatever it parsed before the error (request line, fields), even when the
    // error came while finishing the header; an empty target means nothing usable was parsed.
    HttpRequest partial;
    if (parser_ && !parser_->get().target().empty()) {
      partial = ToRequest(parser_->get());
      // A client that announced its body with Expect may withhold it once it has our answer.
      if (!drain_by_silence && partial.HeaderCount("Expect") == 0) {
        drain_remaining_ = RemainingBody(parser_->get());
      }
    }
    partial.connection = info_;
    partial.received_at = Clock::now();
    const Error error = MakeError(ErrorName::kValidation, std::move(message));
    server_.rejected_.fetch_add(1);
    server_.Reject(partial, error, status);
    keep_alive_ = false;
    head_ = false;
    version_ = partial.version;
    drain_after_write_ = true;
    WriteResponse(ErrorResponse(error, status, true));
  }

  // Beast consumes the header from buffer_ even when it fails on it, so what is buffered is body.
  std::optional<std::uint64_t> RemainingBody(const http::request<http::string_body>& message) {
    const auto field = message.find(http::field::content_length);
    if (field == message.end()) return std::nullopt;
    const std::string value(field->value());
    char* end = nullptr;
    const unsigned long long length = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || end != value.c_str() + value.size()) return std::nullopt;
    return length > buffer_.size() ? length - buffer_.size() : 0;
  }

  // Everything but the body, which is read later.
  HttpRequest ToRequest(const http::request<http::string_body>& message) {
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.version = message.version() == 10 ? 10 : 11;
    for (const auto& field : message) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.connection = info_;
    return request;
  }

  void OnRequest() {
    server_.requests_.fetch_add(1);
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    std::shared_ptr<HttpRequest> request = std::move(request_);
    request->body = std::move(message.body());
    request->received_at = Clock::now();
    keep_alive_ = message.keep_alive();
    version_ = request->version;
    head_ = message.method() == http::verb::head;
    const auto& options = server_.options_;
    if (!options.ping_path.empty() && request->target == options.ping_path &&
        (head_ || message.method() == http::verb::get)) {
      return WriteResponse(PingResponse());
    }
    Dispatch(std::move(request));
  }

  // The handler runs on a worker; whichever comes first on this strand — its response or the
  // budget timer — answers, and the other is ignored (by sequence number).
  void Dispatch(std::shared_ptr<HttpRequest> request) {
    state_ = State::kBusy;
    // Until its response is written, a request a handler works on may be a valid client's first
    // one: the registry must not close the connection to make room (OnWrite allows it again).
    set_evictable(false);
    const std::uint64_t seq = ++seq_;
    answered_ = false;
    const Clock::time_point deadline = request->received_at + server_.options_.time_budget;
    const RequestPriority priority = server_.options_.classifier
                                         ? server_.options_.classifier(*request)
                                         : RequestPriority::kNormal;
    auto abandoned = std::make_shared<std::atomic<bool>>(false);
    auto job = [self = Self(), request, seq, deadline, abandoned] {
      // A job that waited past its budget has already been answered 503 (or soon will be).
      if (abandoned->load() || Clock::now() >= deadline) return;
      HttpResponse response = self->server_.handler_(*request);
      net::post(self->executor_, [self, seq, response = std::move(response)]() mutable {
        self->OnHandlerDone(seq, std::move(response));
      });
    };
    if (!server_.pool_->TrySubmit(std::move(job), priority)) {
      server_.throttled_.fetch_add(1);
      const Error error = MakeError(ErrorName::kThrottling, "too many requests in progress");
      server_.Reject(WithoutBody(*request), error, 429);
      return WriteResponse(ErrorResponse(error, 429, false));
    }
    pending_ = std::move(request);
    abandoned_ = std::move(abandoned);
    budget_timer_.expires_at(deadline);
    budget_timer_.async_wait(beast::bind_front_handler(&HttpSession::OnBudgetExpired, Self(), seq));
  }

  void OnHandlerDone(std::uint64_t seq, HttpResponse response) {
    if (seq != seq_ || answered_) return;  // late: the client already got 503
    answered_ = true;
    budget_timer_.cancel();
    pending_.reset();
    WriteResponse(std::move(response));
  }

  void OnBudgetExpired(std::uint64_t seq, beast::error_code ec) {
    if (ec || seq != seq_ || answered_) return;
    answered_ = true;
    abandoned_->store(true);
    server_.timed_out_.fetch_add(1);
    const Error error =
        MakeError(ErrorName::kDependencyTimeout, "the request was not completed in time");
    server_.Reject(WithoutBody(*pending_), error, 503);
    pending_.reset();
    WriteResponse(ErrorResponse(error, 503, false));
  }

  void WriteResponse(HttpResponse response) {
    state_ = State::kBusy;
    auto& out = response_.emplace();
    out.version(version_);
    out.result(static_cast<unsigned>(response.status));
    for (auto& header : response.headers) {
      if (!IsServerSetHeader(header.name)) out.insert(header.name, header.value);
    }
    close_after_write_ = !keep_alive_ || response.close_connection || server_.draining_.load();
    authenticates_ = response.authenticated;
    out.keep_alive(!close_after_write_);
    if (head_) {
      out.content_length(response.body.size());  // what a GET would have sent, no body
    } else {
      out.body() = std::move(response.body);
      out.prepare_payload();
    }
    Lowest().expires_after(server_.options_.write_timeout);
    http::async_write(stream_, out, beast::bind_front_handler(&HttpSession::OnWrite, Self()));
  }

  void OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
    response_.reset();
    set_evictable(true);
    if (ec) return Lowest().close();
    if (authenticates_ && !info_.authenticated) {
      // From now on: the full idle timeout, never evicted, classified as authenticated.
      info_.authenticated = true;
      server_.connections_.MarkAuthenticated(this);
    }
    if (drain_after_write_) return DoDrain();
    if (close_after_write_) return DoClose();
    DoRead();
  }

  // Known length: read exactly the rest of the refused body. Unknown (chunked, malformed): read
  // while the client keeps sending, giving up after a short quiet spell.
  // Either way the drain ends by one absolute deadline, however slowly bytes trickle in.
  void DoDrain() {
    buffer_.consume(buffer_.size());
    if (drain_remaining_ && *drain_remaining_ == 0) return DoClose();
    const auto now = Clock::now();
    const auto& options = server_.options_;
    if (!drain_deadline_) drain_deadline_ = now + std::min(options.read_timeout, kDrainCap);
    const auto per_read = drain_remaining_ ? options.read_timeout
                                           : std::min(options.read_timeout, kDrainQuiet);
    Lowest().expires_at(std::min(*drain_deadline_, now + per_read));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&HttpSession::OnDrain, Self()));
  }

  void OnDrain(beast::error_code ec, std::size_t bytes) {
    buffer_.commit(bytes);
    drained_ += bytes;
    if (drain_remaining_) *drain_remaining_ -= std::min<std::uint64_t>(*drain_remaining_, bytes);
    const std::size_t cap = std::max(kMinDrainBytes, 2 * server_.options_.max_body_bytes);
    if (ec || drained_ > cap) return DoClose();
    DoDrain();
  }

  void DoClose() {
    state_ = State::kClosing;
    if constexpr (kTls) {
      Lowest().expires_after(std::min(server_.options_.write_timeout, kTlsShutdownCap));
      stream_.async_shutdown(beast::bind_front_handler(&HttpSession::OnShutdown, Self()));
    } else {
      beast::error_code ec;
      Socket().shutdown(tcp::socket::shutdown_send, ec);
      Lowest().close();
    }
  }

  void OnShutdown(beast::error_code /*ec*/) { Lowest().close(); }

  ServerImpl& server_;
  std::shared_ptr<ssl::context> tls_;  // keeps this connection's context alive across ReloadTls
  Stream stream_;
  const net::any_io_executor executor_;  // the strand; copied so workers can post without races
  net::steady_timer budget_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpRequest> request_;  // the request being read, from its header on
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  ConnectionInfo info_;
  State state_ = State::kHandshake;
  std::uint64_t seq_ = 0;
  bool answered_ = true;
  std::shared_ptr<HttpRequest> pending_;
  std::shared_ptr<std::atomic<bool>> abandoned_;
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
  bool close_after_write_ = false;
  bool drain_after_write_ = false;
  bool authenticates_ = false;  // the response being written carries proven credentials
  std::size_t drained_ = 0;
  std::optional<std::uint64_t> drain_remaining_;
  std::optional<Clock::time_point> drain_deadline_;
};

}  // namespace

Result<void, std::string> ServerImpl::Start() {
  std::lock_guard lock(lifecycle_mutex_);
  if (started_) return Fail(std::string("server already started"));
  if (options_.insecure) {
    LogWarning(kComponent, "INSECURE MODE: plain HTTP without TLS or client authentication on " +
                               options_.address + "; for local tests only, never in production");
  } else {
    auto ctx = MakeServerSslContext(options_.tls);
    if (!ctx.ok()) return Fail(ctx.error());
    tls_ = std::make_shared<ssl::context>(std::move(ctx).value().release());
  }
  if (!handler_) return Fail(std::string("no request handler"));
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) return Fail("bad listen address '" + options_.address + "': " + ec.message());
  const tcp::endpoint endpoint(address, options_.port);
  const auto fail = [&](std::string_view what) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return Fail(std::string(what) + " " + PeerAddress(endpoint) + ": " + ec.message());
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
  for (int i = 0; i < threads; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
  started_ = true;
  // The limits in force, so an operator (and the end-to-end test) can see what was configured.
  const auto ms = [](std::chrono::milliseconds value) { return std::to_string(value.count()); };
  LogInfo(
      kComponent,
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
    LogWarning(kComponent, "accept failed: " + ec.message() + "; retrying in 100 ms");
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
  if (options_.insecure) {
    Admit<HttpSession<false>>(std::move(socket), peer);
  } else {
    std::shared_ptr<ssl::context> tls;
    {
      std::lock_guard lock(tls_mutex_);
      tls = tls_;
    }
    Admit<HttpSession<true>>(std::move(socket), peer, std::move(tls));
  }
  DoAccept();
}

// A refused newcomer is simply dropped: its destructor closes the socket before it read a byte.
template <typename Session, typename... Args>
void ServerImpl::Admit(tcp::socket socket, const tcp::endpoint& peer, Args&&... args) {
  auto session = std::make_shared<Session>(*this, std::move(socket), PeerAddress(peer),
                                           std::forward<Args>(args)...);
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
    LogWarning(kComponent, "shutdown grace expired; closing remaining connections");
    for (auto& session : connections_.Snapshot()) session->ForceClose();
  }
  pool_->Stop();  // waits for running handlers; queued ones still see their deadline
  work_.reset();
  ioc_.stop();
  for (auto& thread : io_threads_) thread.join();
  io_threads_.clear();
  LogInfo(kComponent, "stopped");
}

Result<void, std::string> ServerImpl::ReloadTls(const TlsOptions& tls) {
  if (options_.insecure) return Fail(std::string("the listener is insecure (no TLS to reload)"));
  auto ctx = MakeServerSslContext(tls);
  if (!ctx.ok()) return Fail(ctx.error());
  auto fresh = std::make_shared<ssl::context>(std::move(ctx).value().release());
  {
    std::lock_guard lock(tls_mutex_);
    tls_ = std::move(fresh);
  }
  LogInfo(kComponent, "TLS context reloaded for new connections");
  return {};
}

Server::Stats ServerImpl::GetStats() const {
  Server::Stats stats{};
  stats.requests = requests_.load();
  stats.throttled = throttled_.load();
  stats.timed_out = timed_out_.load();
  stats.rejected = rejected_.load();
  const ConnectionRegistry::Counts connections = connections_.counts();
  stats.connections_open = connections.open;
  stats.connections_refused = connections.refused;
  stats.connections_evicted = connections.evicted;
  stats.handshakes_in_progress = connections.handshaking;
  stats.queued = pool_ ? pool_->queued() : 0;
  return stats;
}

Server::Server(ServerOptions options, Handler handler, RejectionObserver observer)
    : impl_(std::make_unique<ServerImpl>(std::move(options), std::move(handler),
                                         std::move(observer))) {}

Server::~Server() { impl_->Shutdown(std::chrono::milliseconds(0)); }

Result<void, std::string> Server::Start() { return impl_->Start(); }

std::uint16_t Server::port() const { return impl_->port_.load(); }

void Server::Shutdown(std::chrono::milliseconds grace) { impl_->Shutdown(grace); }

Result<void, std::string> Server::ReloadTls(const TlsOptions& tls) { return impl_->ReloadTls(tls); }

Server::Stats Server::stats() const { return impl_->GetStats(); }

}  // namespace xks::server
