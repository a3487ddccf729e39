#pragma once
// Transport-neutral HTTP request/response types. The server (proxy/server) fills HttpRequest from
// the wire and writes HttpResponse back; everything above it (api, auth, audit) sees only these, so
// the request logic is a plain function testable without sockets.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xks {

/// One header as received: the name as sent (case preserved), the raw value. Duplicates are kept
/// in arrival order because SigV4 canonicalisation must see them.
struct HttpHeader {
  std::string name;
  std::string value;
};

/// Facts about the connection a request arrived on.
struct ConnectionInfo {
  std::string peer_address;  ///< "ip:port" of the client
  bool tls = false;          ///< false only with the explicit `insecure` listener setting
  /// Subject of the verified TLS client certificate (mTLS), e.g.
  /// "CN=cks.kms.us-east-1.amazonaws.com".
  std::optional<std::string> client_cert_subject;
  /// True once an earlier request on this connection was answered with
  /// HttpResponse::authenticated set: the connection has proven it holds a tenant's credentials.
  bool authenticated = false;
};

/// A request. Its body (an Encrypt's plaintext, any AAD) is wiped when the request is destroyed:
/// the server keeps it only until the handler is done with it (docs/operations.md, "Security").
struct HttpRequest {
  HttpRequest() = default;
  HttpRequest(const HttpRequest&) = default;
  HttpRequest(HttpRequest&&) noexcept = default;
  HttpRequest& operator=(const HttpRequest&) = default;
  HttpRequest& operator=(HttpRequest&&) noexcept = default;
  ~HttpRequest();

  std::string method;  ///< "POST", "GET", ...
  std::string target;  ///< the raw request-target: path and optional "?query", undecoded
  int version = 11;    ///< 10 or 11
  std::vector<HttpHeader> headers;
  std::string body;
  ConnectionInfo connection;
  /// When the server finished reading the request; the start of the time budget.
  std::chrono::steady_clock::time_point received_at{};

  /// First header with this name (ASCII case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
  /// Number of headers with this name (ASCII case-insensitive).
  std::size_t HeaderCount(std::string_view name) const;
  /// A copy without the body, for observers (audit of a refusal): the body may hold plaintext.
  HttpRequest WithoutBody() const;
};

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(const HttpResponse&) = default;
  HttpResponse(HttpResponse&&) noexcept = default;
  HttpResponse& operator=(const HttpResponse&) = default;
  HttpResponse& operator=(HttpResponse&&) noexcept = default;
  /// Wipes the body when sensitive_body is set.
  ~HttpResponse();

  int status = 200;
  std::vector<HttpHeader> headers;  ///< Content-Length/Connection are set by the server
  std::string body;
  /// True when the connection should close after this response.
  bool close_connection = false;
  /// Set by the handler when the request's credentials were verified (SigV4 with one of the
  /// routed tenant's keys), whatever the outcome after that. From then on the server trusts the
  /// connection: it gets the full idle timeout, is never evicted to make room for a newcomer, and
  /// its requests are classified with ConnectionInfo::authenticated set.
  bool authenticated = false;
  /// The body carries plaintext (a Decrypt's answer): it is wiped wherever it ends up, here on
  /// destruction and in the server once the write completed.
  bool sensitive_body = false;
};

/// Overwrites every byte `text` holds (up to its capacity, so bytes of a longer earlier value
/// go too) with zeros the compiler cannot elide, then empties it.
void WipeString(std::string& text) noexcept;

/// ASCII case-insensitive equality, as HTTP header names require.
bool HeaderNameEquals(std::string_view a, std::string_view b);

}  // namespace xks
