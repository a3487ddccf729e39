#pragma once
// Builds the server's OpenSSL context: TLS 1.2-1.3 with exactly the XKS spec's cipher suites
// ("API content type"), elliptic-curve key exchange only, the certificate chain and its key
// (checked to match), and optional mTLS against a CA bundle with an allow-list of client subject
// CNs. No Asio here, so it is testable and cheap to compile.

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "base/openssl_ssl.h"  // SslCtxPtr
#include "base/problem.h"
#include "base/result.h"
#include "proxy/server/server.h"

namespace xks::server {

/// The spec's suites, as OpenSSL spells them.
inline constexpr const char* kTls13CipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
inline constexpr const char* kTls12CipherList =
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384";

/// Key exchange groups (TLS 1.3 key shares and TLS 1.2 ECDHE curves). The finite-field groups
/// ffdhe2048..ffdhe8192 that OpenSSL would otherwise accept cost up to ~270 times the CPU of
/// X25519 per handshake on the I/O thread, a cheap lever for a client that wants to slow every
/// connection down; the XKS spec requires none of them.
inline constexpr const char* kKeyExchangeGroups = "X25519:P-256:P-384";

/// A server context for `tls`, or a Problem at the server.tls path of the bad setting whose text
/// names the file and the OpenSSL reason.
/// Thread-safe (no shared state besides OpenSSL's own).
Result<SslCtxPtr, Problem> MakeServerSslContext(const TlsOptions& tls);

/// Why a failed handshake refused the client's certificate, for the operator's log: the X.509
/// verification error with the chain depth it was found at ("certificate has expired (depth
/// 0)"), "subject CN ... not in allowed_client_common_names", or "no client certificate
/// presented"; nullopt when the failure had nothing to do with the client certificate.
/// `handshake_error` is the OpenSSL error code the handshake failed with (0 if unknown).
///
/// Whatever the reason, the client is sent the same `handshake_failure` alert (what AWS KMS's
/// test tooling expects, and it tells a prober nothing), with one exception OpenSSL 3 offers no
/// hook for: a TLS 1.3 client that presents no certificate gets `certificate_required`, the
/// alert RFC 8446 section 4.4.2.4 prescribes for that case.
std::optional<std::string> ClientCertificateRefusal(SSL* ssl, unsigned long handshake_error);

/// The verified peer certificate's subject in one-line RFC 2253 form ("CN=a,O=b"), if the peer
/// sent one. Call after the handshake.
std::optional<std::string> PeerCertificateSubject(SSL* ssl);

}  // namespace xks::server
