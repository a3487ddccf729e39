#pragma once
// Builds the server's OpenSSL context: TLS 1.2-1.3 with exactly the XKS spec's cipher suites
// ("API content type"), the certificate chain and its key (checked to match), and optional mTLS
// against a CA bundle with an allow-list of client subject CNs. No Asio here, so it is testable
// and cheap to compile.

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "pkcs11/result.h"
#include "proxy/server/server.h"

namespace xks::server {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

/// The spec's suites, as OpenSSL spells them.
inline constexpr const char* kTls13CipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
inline constexpr const char* kTls12CipherList =
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384";

/// A server context for `tls`, or operator-facing text naming the file and the OpenSSL reason.
/// Thread-safe (no shared state besides OpenSSL's own).
Result<SslCtxPtr, std::string> MakeServerSslContext(const TlsOptions& tls);

/// The verified peer certificate's subject in one-line RFC 2253 form ("CN=a,O=b"), if the peer
/// sent one. Call after the handshake.
std::optional<std::string> PeerCertificateSubject(SSL* ssl);

}  // namespace xks::server
