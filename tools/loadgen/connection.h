#pragma once
// One keep-alive TLS connection of the load generator: connect, handshake, then one request at a
// time (write the bytes its owner prepared, read one response with Beast's parser). A transport
// failure (or a "Connection: close" answer) closes it and it reconnects by itself after a short
// pause. It only moves bytes: the owner decides what to send and counts what comes back.
//
// Thread safety: none. All calls and all callbacks run on the io_context's one thread (each
// worker runs its own io_context on one thread, so no strand is needed).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tools/loadgen/mix.h"
#include "tools/loadgen/schedule.h"

namespace xks::loadgen {

class Connection;

/// The callbacks of a Connection (all on its io_context's thread).
class ConnectionOwner {
 public:
  /// The connection is open (first time or after a reconnect) and idle.
  virtual void OnReady(Connection& c) = 0;
  /// An answer arrived. The connection is idle again if c.ready(); else it is reconnecting.
  virtual void OnAnswer(Connection& c, int status, std::string_view body) = 0;
  /// A transport failure of `kind` ("connect", "tls", "write", "read", "closed", "timeout");
  /// `lost_request` when a request was in flight (it got no answer). The connection reconnects.
  virtual void OnFailure(Connection& c, std::string_view kind, bool lost_request) = 0;

 protected:
  ~ConnectionOwner() = default;
};

/// What the owner needs to remember about the request in flight.
struct InFlight {
  Op op = Op::kEncrypt;
  Clock::time_point intended;  // latency is measured from here
};

class Connection {
 public:
  using Endpoints = boost::asio::ip::tcp::resolver::results_type;

  /// `verify_host` is checked against the certificate unless empty (--insecure).
  Connection(boost::asio::io_context& io, boost::asio::ssl::context& tls,
             const Endpoints& endpoints, std::string server_name, bool verify_host,
             std::chrono::milliseconds timeout, ConnectionOwner& owner);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connects and handshakes; OnReady or OnFailure follows.
  void Open();
  /// The buffer the owner fills with the complete request before Send().
  std::string& out() { return out_; }
  /// Sends out() and reads one response. Only when ready().
  void Send();
  /// Closes for good: no reconnect, no callbacks after pending handlers see the abort.
  void Close();

  bool ready() const { return state_ == State::kReady; }
  bool busy() const { return state_ == State::kBusy; }
  InFlight in_flight;

 private:
  enum class State { kClosed, kOpening, kReady, kBusy, kPausing, kStopped };
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  void OnConnected(boost::system::error_code ec);
  void OnHandshake(boost::system::error_code ec);
  void OnWritten(boost::system::error_code ec);
  void OnRead(boost::system::error_code ec);
  void Fail(std::string_view kind);
  void Reconnect();

  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  const Endpoints& endpoints_;
  std::string server_name_;
  bool verify_host_;
  std::chrono::milliseconds timeout_;
  ConnectionOwner& owner_;
  std::optional<Stream> stream_;
  boost::asio::steady_timer pause_;
  std::chrono::milliseconds backoff_{0};
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  std::string out_;
  State state_ = State::kClosed;
};

}  // namespace xks::loadgen
