#pragma once
// A deliberately small HTTP/1.1 client on POSIX sockets and OpenSSL. The conformance runner needs
// byte-level control of what it sends (unsigned, tampered or GET requests) and visibility into the
// negotiated TLS parameters, so it does not use a higher-level HTTP library.

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/openssl_ssl.h"  // SslCtxPtr, SslPtr
#include "base/problem.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "conformance/sigv4_signer.h"

namespace xks::conformance {

/// Where and how to connect. Plain HTTP when `tls` is false.
struct ConnectOptions {
  std::string host;
  int port = 443;
  bool tls = true;
  std::string server_name;  // SNI and certificate name; defaults to `host`
  std::string ca_file;      // trust anchors; empty means the system default store
  bool insecure_skip_verify = false;
  std::string client_cert_file;  // PEM; mTLS when set
  std::string client_key_file;   // PEM
  std::chrono::milliseconds timeout{10000};
};

/// A request exactly as it will be written (the client adds nothing but Content-Length when
/// `add_content_length` is set).
struct HttpRequest {
  std::string method = "POST";
  std::string target;
  std::vector<Header> headers;
  std::string body;
  bool add_content_length = true;
};

/// A parsed response.
struct HttpResponse {
  int status = 0;
  std::string version;  // "HTTP/1.1"
  std::vector<Header> headers;
  std::string body;
  bool server_closes = false;  // "Connection: close" was sent

  /// First value of a header (case-insensitive name), or "".
  std::string HeaderValue(std::string_view name) const;
};

/// One client connection (TCP, optionally TLS). Not thread-safe; one user at a time.
/// A transport failure is a Problem whose path is the step that failed: "resolve", "connect",
/// "TLS setup", "TLS handshake", "write", "read" or "response" (so it reads, e.g.,
/// "connect: Connection refused (127.0.0.1:8443) — check that ..."), with a fix where the runner's
/// inputs can cause it.
class HttpConnection {
 public:
  /// Connects and, for TLS, completes the handshake (certificate verified unless skipped).
  static Result<std::unique_ptr<HttpConnection>, Problem> Open(const ConnectOptions& options);

  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Writes the request and reads one full response (Content-Length, chunked or until close).
  Result<HttpResponse, Problem> RoundTrip(const HttpRequest& request);

  /// True when a read shows the peer has closed the connection (used after a response).
  bool PeerClosed();

  /// Negotiated TLS protocol ("TLSv1.3") or "" for plain HTTP.
  std::string TlsVersion() const;
  /// Negotiated cipher suite, IANA name (e.g. "TLS_AES_256_GCM_SHA384"), or "".
  std::string TlsCipher() const;

 private:
  HttpConnection() = default;
  // The TLS half of Open: context, trust anchors, client certificate, SNI, handshake.
  Result<void, Problem> StartTls(const ConnectOptions& options);
  Result<void, Problem> WriteAll(const std::string& data);
  // Reads the status line and headers of a response into `resp`.
  Result<void, Problem> ReadHead(HttpResponse& resp);
  // Reads the body of `resp` (chunked, Content-Length or until close).
  Result<void, Problem> ReadBody(HttpResponse& resp);
  // Reads more bytes into buffer_; 0 on orderly close, <0 on error.
  long ReadSome();

  UniqueFd fd_;
  SslCtxPtr ctx_;
  SslPtr ssl_;
  std::string buffer_;
};

}  // namespace xks::conformance
