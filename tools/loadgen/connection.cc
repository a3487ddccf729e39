#include "tools/loadgen/connection.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

namespace xks::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// Reconnect pauses: short enough that a proxy restart costs little of a run, growing so that a
// proxy that refuses connections is not hammered by a reconnect loop.
constexpr std::chrono::milliseconds kFirstBackoff{10};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// Larger than any XKS answer (the spec bounds bodies at a few KiB).
constexpr std::uint64_t kBodyLimit = 1 << 20;

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

Connection::Connection(asio::io_context& io, asio::ssl::context& tls, const Endpoints& endpoints,
                       std::string server_name, bool verify_host, std::chrono::milliseconds timeout,
                       ConnectionOwner& owner)
    : io_(io),
      tls_(tls),
      endpoints_(endpoints),
      server_name_(std::move(server_name)),
      verify_host_(verify_host),
      timeout_(timeout),
      owner_(owner),
      pause_(io) {}

void Connection::Open() {
  if (state_ == State::kStopped) return;
  state_ = State::kOpening;
  stream_.emplace(io_, tls_);
  buffer_.clear();
  if (verify_host_) stream_->set_verify_callback(asio::ssl::host_name_verification(server_name_));
  // SNI (not for IP literals, RFC 6066). SSL_set_tlsext_host_name is a macro with a C cast; call
  // what it expands to.
  if (!IsIpLiteral(server_name_)) {
    SSL_ctrl(stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name_.c_str()));
  }
  auto& tcp = beast::get_lowest_layer(*stream_);
  tcp.expires_after(timeout_);
  tcp.async_connect(endpoints_,
                    [this](boost::system::error_code ec, const auto&) { OnConnected(ec); });
}

void Connection::OnConnected(boost::system::error_code ec) {
  if (state_ == State::kStopped) return;
  if (ec) return Fail(ec == beast::error::timeout ? "timeout" : "connect");
  // Requests are written in one piece and answered at once: Nagle would only add delay.
  beast::get_lowest_layer(*stream_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  stream_->async_handshake(asio::ssl::stream_base::client,
                           [this](boost::system::error_code e) { OnHandshake(e); });
}

void Connection::OnHandshake(boost::system::error_code ec) {
  if (state_ == State::kStopped) return;
  if (ec) return Fail(ec == beast::error::timeout ? "timeout" : "tls");
  backoff_ = std::chrono::milliseconds(0);
  state_ = State::kReady;
  owner_.OnReady(*this);
}

void Connection::Send() {
  if (state_ != State::kReady) return;
  state_ = State::kBusy;
  // One deadline for the whole exchange: the write and the read of its answer.
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  asio::async_write(*stream_, asio::buffer(out_),
                    [this](boost::system::error_code ec, std::size_t) { OnWritten(ec); });
}

void Connection::OnWritten(boost::system::error_code ec) {
  if (state_ == State::kStopped) return;
  if (ec) return Fail(ec == beast::error::timeout ? "timeout" : "write");
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  beast::http::async_read(*stream_, buffer_, *parser_,
                          [this](boost::system::error_code e, std::size_t) { OnRead(e); });
}

void Connection::OnRead(boost::system::error_code ec) {
  if (state_ == State::kStopped) return;
  if (ec == beast::error::timeout) return Fail("timeout");
  if (ec == beast::http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset) {
    return Fail("closed");
  }
  if (ec) return Fail("read");
  const auto& response = parser_->get();
  const bool keep_alive = response.keep_alive();
  state_ = keep_alive ? State::kReady : State::kClosed;
  owner_.OnAnswer(*this, response.result_int(), response.body());
  if (!keep_alive && state_ != State::kStopped) {
    beast::get_lowest_layer(*stream_).close();
    Open();
  }
}

void Connection::Fail(std::string_view kind) {
  const bool lost = state_ == State::kBusy;
  beast::get_lowest_layer(*stream_).close();
  state_ = State::kPausing;
  owner_.OnFailure(*this, kind, lost);
  if (state_ == State::kStopped) return;
  backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
  Reconnect();
}

void Connection::Reconnect() {
  pause_.expires_after(backoff_);
  pause_.async_wait([this](boost::system::error_code ec) {
    if (!ec && state_ == State::kPausing) Open();
  });
}

void Connection::Close() {
  state_ = State::kStopped;
  pause_.cancel();
  if (stream_) beast::get_lowest_layer(*stream_).close();
}

}  // namespace xks::loadgen
