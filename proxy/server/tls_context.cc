#include "proxy/server/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "base/openssl.h"
#include "base/secret_file.h"

namespace xks::server {
namespace {

using CnList = std::vector<std::string>;

// The verify callback gets no user pointer, so the allow-list rides on the SSL_CTX as ex_data,
// freed with the context (old contexts outlive ReloadTls while connections still use them).
void FreeCnList(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                void* /*argp*/) {
  delete static_cast<CnList*>(ptr);
}

int CnListIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeCnList);
  return index;
}

// The config paths the operator edits; TlsOptions mirrors the server.tls section.
constexpr const char* kTlsPath = "server.tls";
constexpr const char* kChainPath = "server.tls.certificate_chain_file";
constexpr const char* kKeyPath = "server.tls.private_key_file";
constexpr const char* kClientCaPath = "server.tls.client_ca_file";

Result<SslCtxPtr, Problem> Failure(const char* path, const std::string& what,
                                   std::string fix = {}) {
  return Fail(MakeProblem(path, what + ": " + OpenSslErrors(), std::move(fix)));
}

Result<SslCtxPtr, Problem> KeyMismatch(const TlsOptions& tls) {
  return Failure(kKeyPath,
                 "private key " + tls.private_key_file + " does not match certificate " +
                     tls.certificate_chain_file,
                 "use the key the leaf certificate was issued for");
}

// The private key through the one secret-file reader (base/secret_file.h): a regular file only
// its owner may read (Kubernetes mounts secrets as symlinks: followed, the target counts), read
// into zeroizing memory and handed to OpenSSL from there, on every load and reload.
constexpr SecretFileOptions kPrivateKeyFileOptions{
    .max_bytes = 64 * 1024, .follow_symlinks = true, .strip_trailing_newline = false};

Problem KeyFileRefused(const SecretFileError& e) {
  const std::string& file = e.path;
  switch (e.kind) {
    case SecretFileErrorKind::kAccessibleByOthers:
      return MakeProblem(
          kKeyPath,
          "private key " + file + " is accessible by group or others (mode " + e.OctalMode() + ")",
          "run: chmod 600 " + file);
    case SecretFileErrorKind::kMissing:
    case SecretFileErrorKind::kSymlink:
    case SecretFileErrorKind::kNotRegular:
      return MakeProblem(kKeyPath, "private key " + file + " is not an existing regular file",
                         "give the path of a PEM private key file");
    case SecretFileErrorKind::kTooLarge:
    case SecretFileErrorKind::kEmpty:
    case SecretFileErrorKind::kIo:
      break;
  }
  return MakeProblem(kKeyPath, "private key " + file + ": " + e.Message(),
                     "give a readable, unencrypted PEM private key (mode 0600)");
}

// Loads the key into `ctx`; OpenSSL compares it with the certificate loaded before.
Result<void, Problem> UsePrivateKey(SSL_CTX* ctx, const TlsOptions& tls) {
  auto pem = ReadSecretFile(tls.private_key_file, kPrivateKeyFileOptions);
  if (!pem.ok()) return Fail(KeyFileRefused(pem.error()));
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    // OpenSSL already compares the key with the certificate here; name that case plainly.
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      return Fail(KeyMismatch(tls).error());
    }
    return Fail(Failure(kKeyPath, "private key " + tls.private_key_file,
                        "give a readable, unencrypted PEM private key")
                    .error());
  }
  return {};
}

// Exactly one CN, else nullopt: a certificate with two CNs could otherwise smuggle an allowed
// name past a check that looks only at the first.
std::optional<std::string> SoleCommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  if (subject == nullptr) return std::nullopt;
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return std::nullopt;
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) return std::nullopt;
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* raw_utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&raw_utf8, data);
  const OpenSslMemoryPtr<unsigned char> utf8(raw_utf8);
  if (length < 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(utf8.get()), static_cast<std::size_t>(length));
}

// What the verify callback found, kept on the SSL for OnHandshakeFailed's log line: OpenSSL
// itself only keeps the error code we replace (see Refuse).
struct Refusal {
  int error = X509_V_OK;
  int depth = 0;
  bool common_name = false;                 ///< the chain was fine; the subject CN is not allowed
  std::optional<std::string> presented_cn;  ///< with common_name: the leaf's sole CN, if any
};

void FreeRefusal(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                 void* /*argp*/) {
  delete static_cast<Refusal*>(ptr);
}

int RefusalIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeRefusal);
  return index;
}

// Records the real reason, then reports X509_V_ERR_APPLICATION_VERIFICATION instead: OpenSSL maps
// the verify error to the alert it sends (ssl_x509err2alert), and that one maps to
// handshake_failure. Every refusal thus looks the same to the client (certificate_expired or
// unknown_ca would tell a prober which part of its forgery to fix).
int Refuse(X509_STORE_CTX* store, SSL* ssl, bool common_name,
           std::optional<std::string> presented_cn = std::nullopt) {
  if (RefusalIndex() >= 0) {
    auto refusal = std::make_unique<Refusal>();
    refusal->error = X509_STORE_CTX_get_error(store);
    refusal->depth = X509_STORE_CTX_get_error_depth(store);
    refusal->common_name = common_name;
    refusal->presented_cn = std::move(presented_cn);
    delete static_cast<Refusal*>(SSL_get_ex_data(ssl, RefusalIndex()));
    if (SSL_set_ex_data(ssl, RefusalIndex(), refusal.get()) == 1) refusal.release();
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

int VerifyCallback(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  if (preverify_ok != 1) return Refuse(store, ssl, false);
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  auto* allowed = static_cast<CnList*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), CnListIndex()));
  if (allowed == nullptr || allowed->empty()) return 1;
  auto cn = SoleCommonName(X509_STORE_CTX_get_current_cert(store));
  if (cn && std::find(allowed->begin(), allowed->end(), *cn) != allowed->end()) return 1;
  return Refuse(store, ssl, true, std::move(cn));
}

}  // namespace

Result<SslCtxPtr, Problem> MakeServerSslContext(const TlsOptions& tls) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Failure(kTlsPath, "SSL_CTX_new");
  SSL_CTX* raw = ctx.get();
  if (SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(raw, TLS1_3_VERSION) != 1) {
    return Failure(kTlsPath, "setting TLS 1.2-1.3");
  }
  if (SSL_CTX_set_ciphersuites(raw, kTls13CipherSuites) != 1)
    return Failure(kTlsPath, "TLS 1.3 suites");
  if (SSL_CTX_set_cipher_list(raw, kTls12CipherList) != 1)
    return Failure(kTlsPath, "TLS 1.2 ciphers");
  if (SSL_CTX_set1_groups_list(raw, kKeyExchangeGroups) != 1)
    return Failure(kTlsPath, "key exchange groups");
  SSL_CTX_set_options(
      raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);

  if (tls.certificate_chain_file.empty() || tls.private_key_file.empty()) {
    return Fail(MakeProblem(kTlsPath, "TLS needs certificate_chain_file and private_key_file",
                            "set both, or set server.insecure for a local test"));
  }
  if (SSL_CTX_use_certificate_chain_file(raw, tls.certificate_chain_file.c_str()) != 1) {
    return Failure(kChainPath, "certificate chain " + tls.certificate_chain_file,
                   "give a readable PEM file, leaf certificate first");
  }
  if (auto key = UsePrivateKey(raw, tls); !key.ok()) return Fail(std::move(key).error());
  if (SSL_CTX_check_private_key(raw) != 1) {
    return KeyMismatch(tls);
  }

  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(raw, tls.client_ca_file.c_str(), nullptr) != 1) {
      return Failure(kClientCaPath, "client CA bundle " + tls.client_ca_file,
                     "give a readable PEM file of CA certificates");
    }
    // Tells clients which CAs we accept, so one holding several certificates picks the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr) return Failure(kClientCaPath, "client CA names " + tls.client_ca_file);
    SSL_CTX_set_client_CA_list(raw, names);
    if (CnListIndex() < 0 || RefusalIndex() < 0) return Failure(kTlsPath, "ex_data index");
    auto allowed = std::make_unique<CnList>(tls.allowed_client_common_names);
    if (SSL_CTX_set_ex_data(raw, CnListIndex(), allowed.get()) != 1) {
      return Failure(kTlsPath, "storing the client CN list");
    }
    allowed.release();  // owned by the SSL_CTX now, freed by FreeCnList
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &VerifyCallback);
    SSL_CTX_set_verify_depth(raw, 8);
    // Session resumption would skip the verify callback; a CN allow-list change must bite at once.
    SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(raw, SSL_OP_NO_TICKET);
  }
  return ctx;
}

std::optional<std::string> ClientCertificateRefusal(SSL* ssl, unsigned long handshake_error) {
  const auto* refusal = static_cast<const Refusal*>(SSL_get_ex_data(ssl, RefusalIndex()));
  if (refusal != nullptr && refusal->common_name) {
    const std::string presented =
        refusal->presented_cn ? "\"" + *refusal->presented_cn + "\"" : "(none or several)";
    return "subject CN " + presented + " not in allowed_client_common_names";
  }
  if (refusal != nullptr) {
    return std::string(X509_verify_cert_error_string(refusal->error)) + " (depth " +
           std::to_string(refusal->depth) + ")";
  }
  if (ERR_GET_LIB(handshake_error) == ERR_LIB_SSL &&
      ERR_GET_REASON(handshake_error) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    return "no client certificate presented";
  }
  return std::nullopt;
}

std::optional<std::string> PeerCertificateSubject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return std::nullopt;
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return std::nullopt;
  }
  return BioContents(bio.get());
}

}  // namespace xks::server
