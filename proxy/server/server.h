#pragma once
// The HTTPS front end: sockets, TLS (with optional mTLS), HTTP/1.1 framing, timeouts, limits,
// back-pressure and graceful shutdown. It knows nothing of XKS: every complete request other than
// the load-balancer ping goes to one `Handler`, run on a bounded worker pool, never on an I/O
// thread. Boost.Beast stays behind a pimpl so users of this header do not compile it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/common/error.h"
#include "proxy/common/http_message.h"
#include "proxy/server/request_priority.h"  // RequestPriority

namespace xks::server {

/// TLS material for a listener. Files are read at Start() and at ReloadTls(), never later.
struct TlsOptions {
  std::string certificate_chain_file;  ///< PEM: leaf first, then intermediates; RSA or EC key
  std::string private_key_file;        ///< PEM, unencrypted; must match the leaf certificate
  /// Empty: no client certificate is requested. Otherwise a PEM CA bundle: every client must
  /// present a certificate chaining to it, or the handshake fails (mTLS).
  std::string client_ca_file;
  /// With mTLS: when non-empty, the client leaf's subject CN must be exactly one of these.
  std::vector<std::string> allowed_client_common_names;
};

/// Runs on an I/O thread for every request bound for a worker (never for pings, nor for requests
/// ServerOptions::run_authenticated_inline runs on the I/O thread), before it is queued. Must be
/// cheap, must not block and must not throw. Thread-safe (called concurrently). The request carries
/// ConnectionInfo::authenticated when an earlier response on its connection was authenticated; the
/// classifier decides what that is worth.
using Classifier = std::function<RequestPriority(const HttpRequest&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0 = ephemeral (tests); see Server::port()
  /// Plain HTTP, for local tests only. Start() logs a loud warning (unless warn_if_insecure is
  /// false: the admin listener's loopback default).
  bool insecure = false;
  bool warn_if_insecure = true;
  TlsOptions tls;
  /// Threads running sockets, TLS handshakes and HTTP parsing. More than one, so that a burst of
  /// handshakes (CPU work on these threads) cannot stall requests on established connections.
  int io_threads = 2;
  int worker_threads = 2;
  /// Requests waiting for a worker (not counting those running). A full queue answers 429.
  std::size_t queue_limit = 256;
  /// Measured from HttpRequest::received_at; a request not answered by then gets 503.
  std::chrono::milliseconds time_budget{200};
  /// read: from a request's first byte to its last; write: one response; idle: between requests
  /// on a keep-alive connection (and before the first one, after the TLS handshake). The TLS
  /// handshake is bounded by read_timeout.
  std::chrono::milliseconds read_timeout{10000}, write_timeout{10000}, idle_timeout{60000};
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  /// GET or HEAD to exactly this target → 200 with a constant body, answered on the I/O thread
  /// without calling the handler (load balancer health checks). Empty disables it.
  std::string ping_path = "/ping";
  /// Connections beyond this are closed right after accept, unless an idle connection that never
  /// authenticated can be closed to make room (a valid client still gets through a full server):
  /// the oldest such connection, idle between requests or still in its TLS handshake.
  std::size_t max_connections = 4096;
  /// Idle limit (after the handshake, and between requests) for a connection on which no
  /// response with HttpResponse::authenticated has been written yet (pings never count); once
  /// one has, idle_timeout applies. Never more than idle_timeout.
  std::chrono::milliseconds unauthenticated_idle_timeout{10000};
  /// Open connections per client IP address (any port); more are closed right after accept.
  /// 0: no cap.
  std::size_t max_connections_per_address = 256;
  /// TLS handshakes in progress. A newcomer beyond it closes the oldest handshake still in
  /// progress: the handshake CPU work queued ahead of requests on the I/O threads stays bounded,
  /// and connections that stall mid-handshake cannot lock newcomers out. 0: no cap.
  std::size_t max_handshakes_in_progress = 64;
  /// kLow requests waiting for a worker; beyond it they are answered 429 at once. At most half
  /// of the workers (at least one) run kLow requests at a time; kNormal ones are taken first.
  std::size_t low_priority_queue_limit = 32;
  /// Picks each request's lane. Empty: every request is kNormal.
  Classifier classifier;
  /// For an AsyncHandler that never blocks (it only starts work on other threads): requests on a
  /// connection that has already written an authenticated response run the handler right on the
  /// I/O thread, saving each the hand-off to a worker. Every other request (a connection's first,
  /// unauthenticated ones) still goes through the worker pool and its lanes, so a flood of them
  /// cannot occupy the I/O threads. Ignored with a (blocking) Handler.
  bool run_authenticated_inline = false;
  /// For tests: sees a buffer's whole storage right after the server wiped it (the read buffer
  /// once a request was taken from it; a response body with sensitive_body once written).
  /// Called on the connection's I/O thread. Empty in production.
  std::function<void(std::string_view storage)> after_wipe;
};

/// Runs on a worker thread. Must not throw. Gets the request with received_at set. May be called
/// concurrently from all worker threads. Its response may be discarded if it arrives after the
/// time budget (the client then already got 503).
using Handler = std::function<HttpResponse(const HttpRequest&)>;

/// Completes one request: hands its response back to the connection. Callable from any thread,
/// at any time, once; cheap (it posts to the connection's strand). A response after the time
/// budget (the client already got 503) or after Shutdown is dropped.
using Respond = std::function<void(HttpResponse)>;

/// A handler that need not hold its worker until the response exists: it starts the work on the
/// worker thread and returns, and `respond` completes the request later, from whatever thread
/// finishes it (an HSM executor, the audit writer's group commit). A request in flight then costs
/// its state, not a thread. Must not throw. The request is valid only during the call (copy what
/// the rest of the work needs). May be called concurrently from all worker threads.
using AsyncHandler = std::function<void(const HttpRequest&, Respond)>;

/// Called (on an I/O thread; must not block or throw) for every request the server answers itself
/// without the handler: throttled (429), timed out (503), too large (413/431), malformed HTTP
/// (400, 417). `partial_request` holds whatever was parsed (possibly only the connection info; the
/// body is never included). `error` is what was sent.
using RejectionObserver =
    std::function<void(const HttpRequest& partial_request, const Error& error, int http_status)>;

class ServerImpl;  // server.cc

/// One listener with its I/O threads and worker pool.
///
/// Thread safety: all methods may be called from any thread, except that Shutdown() and the
/// destructor must not be called from an I/O or worker thread of this server (they join them).
/// Start() is called at most once.
class Server {
 public:
  Server(ServerOptions options, Handler handler, RejectionObserver observer = {});
  Server(ServerOptions options, AsyncHandler handler, RejectionObserver observer = {});
  /// Calls Shutdown(0 ms) if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads TLS (unless insecure), binds, listens and starts the threads. A failure is a Problem
  /// for operators (bad certificate, key mismatch, address in use, ...); nothing is running then.
  Result<void, Problem> Start();

  /// The actually bound port (after a successful Start()), else 0.
  std::uint16_t port() const;

  /// Stops accepting, lets in-flight requests finish (up to `grace`), closes idle keep-alive
  /// connections, then closes whatever is left and joins all threads. Idempotent. Safe to call
  /// from a signal-watching thread. A handler still running is waited for (handlers must return).
  void Shutdown(std::chrono::milliseconds grace);

  /// Atomically swaps the TLS context for NEW connections (certificate renewal, CA/CN changes);
  /// established connections keep theirs. On error (unreadable files, key mismatch, bad CA) the
  /// old context stays in use and the Problem says why. Fails on an insecure server.
  Result<void, Problem> ReloadTls(const TlsOptions& tls);

  struct Stats {
    std::uint64_t requests;   ///< complete requests read (pings included)
    std::uint64_t throttled;  ///< 429: worker queue full
    std::uint64_t timed_out;  ///< 503: time budget exceeded (queued or running)
    std::uint64_t rejected;   ///< 400/413/417/431: malformed or over a limit
    std::uint64_t connections_open;
    std::uint64_t queued = 0;  ///< requests waiting for a worker right now (both lanes)
    std::uint64_t connections_refused = 0;  ///< closed at accept: per-address or global cap
    std::uint64_t connections_evicted = 0;  ///< closed to make room for a newcomer
    std::uint64_t handshakes_in_progress = 0;
    std::uint64_t handshakes = 0;          ///< TLS handshakes completed
    std::uint64_t handshake_failures = 0;  ///< TLS handshakes failed (any reason, timeouts too)
  };
  /// A snapshot; counters are read independently (not one atomic view).
  Stats stats() const;

 private:
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace xks::server
