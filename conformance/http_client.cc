#include "conformance/http_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace xks::conformance {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string OpenSslError(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256] = {0};
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return what + (e != 0 ? std::string(": ") + buf : std::string());
}

bool IsIpLiteral(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// Sets the send and receive timeouts and TCP_NODELAY on a new socket.
void ConfigureSocket(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Resolves the host and connects to the first address that accepts.
Result<UniqueFd, Problem> ConnectTcp(const ConnectOptions& options) {
  const bool ipv6 = options.host.find(':') != std::string::npos;
  const std::string endpoint =
      (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(options.port);
  if (int rc = getaddrinfo(options.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Fail(MakeProblem("resolve", "cannot resolve " + options.host + ": " + gai_strerror(rc),
                            "check the host of --endpoint (XKS_ENDPOINT)"));
  }
  Problem last = MakeProblem("connect", "no address for " + endpoint);
  UniqueFd connected;
  for (addrinfo* ai = res; ai != nullptr && !connected; ai = ai->ai_next) {
    UniqueFd fd(socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol));
    if (!fd) {
      last = MakeProblem("connect", std::string("socket: ") + std::strerror(errno));
      continue;
    }
    ConfigureSocket(fd.get(), options.timeout);
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      connected = std::move(fd);
    } else {
      last = MakeProblem("connect", std::string(std::strerror(errno)) + " (" + endpoint + ")",
                         "check that the endpoint is up and that --endpoint (XKS_ENDPOINT) "
                         "names its host and port");
    }
  }
  freeaddrinfo(res);
  if (!connected) return Fail(std::move(last));
  return connected;
}

// A client context: TLS 1.2 or later, trust anchors unless verification is skipped, and the
// client certificate when one is configured.
Result<SslCtxPtr, Problem> NewClientContext(const ConnectOptions& options) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Fail(MakeProblem("TLS setup", OpenSslError("SSL_CTX_new")));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (options.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const bool system_store = options.ca_file.empty();
    int ok = system_store
                 ? SSL_CTX_set_default_verify_paths(ctx.get())
                 : SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr);
    if (ok != 1) {
      return Fail(MakeProblem(
          "TLS setup", OpenSslError("cannot load trust anchors"),
          system_store ? "pass the server's CA with --ca-file (XKS_CA_FILE)"
                       : "check that --ca-file (XKS_CA_FILE) names a readable PEM file"));
    }
  }
  if (!options.client_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.client_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), options.client_key_file.c_str(), SSL_FILETYPE_PEM) !=
            1) {
      return Fail(MakeProblem("TLS setup", OpenSslError("cannot load client certificate/key"),
                              "check that --client-cert and --client-key (XKS_CLIENT_CERT, "
                              "XKS_CLIENT_KEY) name a readable PEM certificate and its key"));
    }
  }
  return ctx;
}

}  // namespace

std::string HttpResponse::HeaderValue(std::string_view name) const {
  std::string n = Lower(name);
  for (const auto& [k, v] : headers) {
    if (Lower(k) == n) return v;
  }
  return "";
}

Result<std::unique_ptr<HttpConnection>, Problem> HttpConnection::Open(
    const ConnectOptions& options) {
  auto fd = ConnectTcp(options);
  if (!fd.ok()) return Fail(std::move(fd).error());
  std::unique_ptr<HttpConnection> conn(new HttpConnection());
  conn->fd_ = std::move(fd).value();
  if (options.tls) {
    if (auto started = conn->StartTls(options); !started.ok()) return Fail(started.error());
  }
  return conn;
}

Result<void, Problem> HttpConnection::StartTls(const ConnectOptions& options) {
  auto ctx = NewClientContext(options);
  if (!ctx.ok()) return Fail(std::move(ctx).error());
  ctx_ = std::move(ctx).value();
  ssl_.reset(SSL_new(ctx_.get()));
  if (!ssl_) return Fail(MakeProblem("TLS setup", OpenSslError("SSL_new")));
  SSL* ssl = ssl_.get();
  const std::string name = options.server_name.empty() ? options.host : options.server_name;
  if (!IsIpLiteral(name)) {
    // SSL_set_tlsext_host_name is a macro with a C-style cast; call what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  }
  if (!options.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (IsIpLiteral(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
  }
  SSL_set_fd(ssl, fd_.get());
  if (SSL_connect(ssl) == 1) return {};
  const long verify = SSL_get_verify_result(ssl);
  std::string what = OpenSslError("failed");
  if (verify == X509_V_OK) return Fail(MakeProblem("TLS handshake", what));
  what += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  return Fail(MakeProblem("TLS handshake", what,
                          "trust the server's CA with --ca-file (XKS_CA_FILE), name the host its "
                          "certificate is for with --server-name (XKS_SERVER_NAME), or pass "
                          "--insecure-skip-verify"));
}

HttpConnection::~HttpConnection() {
  if (ssl_) SSL_shutdown(ssl_.get());
  ssl_.reset();  // the TLS state goes before the socket it uses (fd_ closes after this body)
}

Result<void, Problem> HttpConnection::WriteAll(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    long n = 0;
    if (ssl_) {
      n = SSL_write(ssl_.get(), data.data() + off, static_cast<int>(data.size() - off));
      if (n <= 0) return Fail(MakeProblem("write", OpenSslError("TLS write failed")));
    } else {
      n = send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return Fail(MakeProblem("write", std::strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

long HttpConnection::ReadSome() {
  char buf[16384];
  long n = 0;
  if (ssl_) {
    n = SSL_read(ssl_.get(), buf, sizeof(buf));
    if (n <= 0) {
      int err = SSL_get_error(ssl_.get(), static_cast<int>(n));
      ERR_clear_error();
      return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
  } else {
    n = recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0) return -1;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return n;
}

bool HttpConnection::PeerClosed() {
  if (!buffer_.empty()) return false;
  pollfd p{fd_.get(), POLLIN, 0};
  // A closed peer makes the socket readable at once; a kept-alive one stays silent.
  if (poll(&p, 1, 50) <= 0) return false;
  return ReadSome() <= 0;
}

Result<HttpResponse, Problem> HttpConnection::RoundTrip(const HttpRequest& request) {
  std::string wire = request.method + " " + request.target + " HTTP/1.1\r\n";
  for (const auto& [k, v] : request.headers) wire += k + ": " + v + "\r\n";
  if (request.add_content_length) {
    wire += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  wire += "\r\n" + request.body;
  if (auto w = WriteAll(wire); !w.ok()) return Fail(w.error());
  HttpResponse resp;
  if (auto head = ReadHead(resp); !head.ok()) return Fail(head.error());
  const bool no_body = request.method == "HEAD" || resp.status == 204 || resp.status == 304;
  if (no_body) return resp;
  if (auto body = ReadBody(resp); !body.ok()) return Fail(body.error());
  return resp;
}

Result<void, Problem> HttpConnection::ReadHead(HttpResponse& resp) {
  size_t header_end = std::string::npos;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > 65536) return Fail(MakeProblem("response", "headers too large"));
    long n = ReadSome();
    if (n == 0) return Fail(MakeProblem("read", "connection closed before a response"));
    if (n < 0) return Fail(MakeProblem("read", "failed or timed out before a response"));
  }
  std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    return Fail(MakeProblem("response", "malformed status line: " + status_line));
  }
  resp.version = status_line.substr(0, status_line.find(' '));
  resp.status = std::atoi(status_line.c_str() + resp.version.size() + 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    resp.headers.emplace_back(line.substr(0, colon), value);
  }
  resp.server_closes = Lower(resp.HeaderValue("Connection")) == "close";
  return {};
}

Result<void, Problem> HttpConnection::ReadBody(HttpResponse& resp) {
  const std::string te = Lower(resp.HeaderValue("Transfer-Encoding"));
  const std::string cl = resp.HeaderValue("Content-Length");
  if (te.find("chunked") != std::string::npos) {
    const Problem truncated = MakeProblem("read", "truncated chunked body");
    for (;;) {
      size_t e;
      while ((e = buffer_.find("\r\n")) == std::string::npos) {
        if (ReadSome() <= 0) return Fail(truncated);
      }
      size_t size = std::strtoul(buffer_.substr(0, e).c_str(), nullptr, 16);
      buffer_.erase(0, e + 2);
      while (buffer_.size() < size + 2) {
        if (ReadSome() <= 0) return Fail(truncated);
      }
      resp.body += buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) break;
    }
  } else if (!cl.empty()) {
    size_t len = std::strtoul(cl.c_str(), nullptr, 10);
    while (buffer_.size() < len) {
      if (ReadSome() <= 0) return Fail(MakeProblem("read", "truncated body"));
    }
    resp.body = buffer_.substr(0, len);
    buffer_.erase(0, len);
  } else {
    while (ReadSome() > 0) {
    }
    resp.body = std::move(buffer_);
    buffer_.clear();
    resp.server_closes = true;
  }
  return {};
}

std::string HttpConnection::TlsVersion() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }

std::string HttpConnection::TlsCipher() const {
  if (!ssl_) return "";
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  if (c == nullptr) return "";
  const char* name = SSL_CIPHER_standard_name(c);
  return name != nullptr ? name : SSL_CIPHER_get_name(c);
}

}  // namespace xks::conformance
