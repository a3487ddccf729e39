// One connection of the listener: the HTTP/1.1 state machine over TLS or plain TCP.

#include "proxy/server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <type_traits>
#include <utility>

#include "proxy/common/error_body.h"
#include "proxy/common/log.h"
#include "proxy/common/ping.h"
#include "proxy/server/buffer_wipe.h"
#include "proxy/server/http_framing.h"
#include "proxy/server/tls_context.h"

namespace xks::server {
namespace {

namespace http = beast::http;
using Clock = std::chrono::steady_clock;

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

/// One connection: reads a request header, checks its framing, reads the body, hands the request
/// to the worker pool (or answers it), writes the response, repeats. Every step runs on the
/// connection's strand; only the handler runs elsewhere. At most one request is in flight, so
/// pipelined requests are answered in order.
template <bool kTls>
class HttpSession : public Session, public std::enable_shared_from_this<HttpSession<kTls>> {
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

  void Run() override {
    net::dispatch(executor_, beast::bind_front_handler(&HttpSession::OnRun, Self()));
  }
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
    (ec ? server_.handshake_failures_ : server_.handshakes_)
        .fetch_add(1, std::memory_order_relaxed);
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
        LogWarning(kServerLogComponent,
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
    ReadSome();
  }

  void ReadSome() {
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&HttpSession::OnHeaderBytes, Self()));
  }

  void OnHeaderBytes(beast::error_code ec, std::size_t bytes) {
    buffer_.commit(bytes);
    if (ec) return DoClose();
    state_ == State::kIdle ? DoReadHeader() : ReadWholeHeader();
  }

  void DoReadHeader() {
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(server_.options_.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(server_.options_.max_body_bytes));
    Lowest().expires_after(server_.options_.read_timeout);
    header_scanned_ = 0;
    ReadWholeHeader();
  }

  // The whole header is buffered and checked (http_framing.h ScanRawHeader) before Beast parses
  // it: Beast's own size limit applies per read, and it would unfold obs-fold silently.
  void ReadWholeHeader() {
    const std::string_view bytes(static_cast<const char*>(buffer_.cdata().data()), buffer_.size());
    const RawHeader scan = ScanRawHeader(bytes, header_scanned_, server_.options_.max_header_bytes);
    if (scan == RawHeader::kIncomplete) return ReadSome();
    if (scan == RawHeader::kTooLarge) return OnReadFailed(http::error::header_limit);
    if (scan == RawHeader::kObsFold) return RejectAndClose(400, "header fields may not be folded");
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
    return RemainingBodyBytes(field->value(), buffer_.size());
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
    WipeConsumed(buffer_, server_.options_.after_wipe);  // the body passed through it
    request->received_at = Clock::now();
    keep_alive_ = message.keep_alive();
    version_ = request->version;
    head_ = message.method() == http::verb::head;
    const auto& options = server_.options_;
    if (IsPingRequest(request->method, request->target, options.ping_path)) {
      return WriteResponse(PingResponse());
    }
    Dispatch(std::move(request));
  }

  // The handler runs on a worker (or here, see run_authenticated_inline); whichever comes first on
  // this strand — its response or the budget timer — answers, the other is ignored (by sequence).
  void Dispatch(std::shared_ptr<HttpRequest> request) {
    state_ = State::kBusy;
    // Until its response is written, a request a handler works on may be a valid client's first
    // one: the registry must not close the connection to make room (OnWrite allows it again).
    set_evictable(false);
    const std::uint64_t seq = ++seq_;
    answered_ = false;
    const Clock::time_point deadline = request->received_at + server_.options_.time_budget;
    auto abandoned = std::make_shared<std::atomic<bool>>(false);
    // A connection that has proven its credentials, to a handler that never blocks: the handler
    // starts its work right here, without a hand-off to a worker and back.
    const bool run_here = server_.options_.run_authenticated_inline && info_.authenticated;
    if (!run_here && !Submit(request, seq, deadline, abandoned)) {
      server_.throttled_.fetch_add(1);
      const Error error = MakeError(ErrorName::kThrottling, "too many requests in progress");
      server_.Reject(request->WithoutBody(), error, 429);
      return WriteResponse(ErrorResponse(error, 429, false));
    }
    pending_ = request;
    abandoned_ = std::move(abandoned);
    budget_timer_.expires_at(deadline);
    budget_timer_.async_wait(beast::bind_front_handler(&HttpSession::OnBudgetExpired, Self(), seq));
    // Only now that the timer is armed: the handler may answer at once (its answer is posted).
    if (run_here) server_.handler_(*request, MakeRespond(seq));
  }

  // Queues the request for a worker in the lane its classifier picks; false when that lane is full.
  bool Submit(const std::shared_ptr<HttpRequest>& request, std::uint64_t seq,
              Clock::time_point deadline, const std::shared_ptr<std::atomic<bool>>& abandoned) {
    const RequestPriority priority = server_.options_.classifier
                                         ? server_.options_.classifier(*request)
                                         : RequestPriority::kNormal;
    auto job = [self = Self(), request, seq, deadline, abandoned] {
      // A job that waited past its budget has already been answered 503 (or soon will be).
      if (abandoned->load() || Clock::now() >= deadline) return;
      self->server_.handler_(*request, self->MakeRespond(seq));
    };
    return server_.pool_->TrySubmit(std::move(job), priority);
  }

  // The handler's way back to this connection, from any thread. It holds the session weakly (a
  // response that never comes must not keep a connection open) and the server's gate (after
  // Shutdown nothing may be posted any more).
  Respond MakeRespond(std::uint64_t seq) {
    return [gate = server_.gate_, weak = std::weak_ptr<HttpSession>(Self()),
            seq](HttpResponse response) {
      std::lock_guard lock(gate->mutex);
      if (!gate->open) return;
      auto self = weak.lock();
      if (!self) return;
      net::post(self->executor_, [self, seq, response = std::move(response)]() mutable {
        self->OnHandlerDone(seq, std::move(response));
      });
    };
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
    server_.Reject(pending_->WithoutBody(), error, 503);
    pending_.reset();
    WriteResponse(ErrorResponse(error, 503, false));
  }

  void WriteResponse(HttpResponse response) {
    state_ = State::kBusy;
    auto& out = response_.emplace();
    out.version(version_);
    out.result(static_cast<unsigned>(response.status));
    for (auto& header : response.headers) {
      if (!IsFramingField(header.name)) out.insert(header.name, header.value);
    }
    close_after_write_ = !keep_alive_ || response.close_connection || server_.draining_.load();
    authenticates_ = response.authenticated;
    sensitive_ = response.sensitive_body;
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
    if (sensitive_) WipeBody(response_->body(), server_.options_.after_wipe);
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
    const auto per_read =
        drain_remaining_ ? options.read_timeout : std::min(options.read_timeout, kDrainQuiet);
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
  ReadBuffer buffer_;
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
  bool sensitive_ = false;      // the response being written carries plaintext
  std::size_t drained_ = 0;
  std::size_t header_scanned_ = 0;  // ScanRawHeader's resume point in buffer_
  std::optional<std::uint64_t> drain_remaining_;
  std::optional<Clock::time_point> drain_deadline_;
};

}  // namespace

std::shared_ptr<Session> MakeHttpSession(ServerImpl& server, tcp::socket socket, std::string peer,
                                         std::shared_ptr<ssl::context> tls) {
  if (tls) {
    return std::make_shared<HttpSession<true>>(server, std::move(socket), std::move(peer),
                                               std::move(tls));
  }
  return std::make_shared<HttpSession<false>>(server, std::move(socket), std::move(peer));
}

}  // namespace xks::server
