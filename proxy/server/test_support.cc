#include "proxy/server/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/openssl.h"

namespace xks::server::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "test PKI: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

std::shared_ptr<EVP_PKEY> NewKey(KeyType type) {
  EVP_PKEY* key = type == KeyType::kRsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (key == nullptr) Die("key generation");
  return std::shared_ptr<EVP_PKEY>(key, &EVP_PKEY_free);
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  const X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) Die("extension");
}

std::string PemOf(X509* cert) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) Die("PEM_write_bio_X509");
  return BioContents(bio.get());
}

std::string PemOf(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("PEM_write_bio_PrivateKey");
  }
  return BioContents(bio.get());
}

Identity Build(TestPki& pki, const std::string& name, const std::string& common_name, KeyType type,
               const Identity* issuer, bool ca, long not_before_s, long not_after_s) {
  static long serial = 1000;
  Identity id;
  id.key = NewKey(type);
  X509* cert = X509_new();
  id.cert = std::shared_ptr<X509>(cert, &X509_free);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert), not_after_s);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("xks test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert;
  EVP_PKEY* issuer_key = issuer ? issuer->key.get() : id.key.get();
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(cert, id.key.get());
  if (ca) {
    AddExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert, issuer_cert, NID_basic_constraints, "CA:FALSE");
    AddExtension(cert, issuer_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  AddExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (X509_sign(cert, issuer_key, EVP_sha256()) == 0) Die("X509_sign");
  id.cert_file = pki.WriteFile(name + ".crt", PemOf(cert));
  id.key_file = pki.WriteFile(name + ".key", PemOf(id.key.get()));
  return id;
}

}  // namespace

TestPki::TestPki() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "xks-server-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp");
  dir_ = pattern;
}

TestPki::~TestPki() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Identity TestPki::MakeCa(const std::string& name, KeyType type) {
  return Build(*this, name, name, type, nullptr, true, -3600, 86400);
}

Identity TestPki::MakeLeaf(const std::string& name, const std::string& common_name, KeyType type,
                           const Identity* issuer, long not_before_s, long not_after_s) {
  return Build(*this, name, common_name, type, issuer, false, not_before_s, not_after_s);
}

std::string TestPki::WriteFile(const std::string& name, const std::string& content) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  // Private keys go through base/secret_file, which refuses files others may read.
  ::chmod(path.c_str(), 0600);
  return path;
}

std::optional<std::string> ClientResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return std::nullopt;
}

void TestClient::OnTlsInfo(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_READ_ALERT) == 0) return;
  auto* client = static_cast<TestClient*>(SSL_get_app_data(ssl));
  if (client != nullptr) client->received_alert_ = ret & 0xff;  // low byte: the description
}

std::unique_ptr<TestClient> TestClient::Connect(std::uint16_t port, const ClientOptions& options,
                                                std::string* error, std::optional<int>* alert) {
  std::unique_ptr<TestClient> client(new TestClient());
  const auto fail = [&](std::string text) -> std::unique_ptr<TestClient> {
    if (alert) *alert = client->received_alert_;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof buf);
      text += std::string("; ") + buf;
    }
    if (error) *error = text;
    return nullptr;
  };
  // OpenSSL writes with plain write(2): a server that already closed (connection limit, refused
  // body) would otherwise kill the test process with SIGPIPE.
  static const bool ignore_sigpipe = [] { return signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignore_sigpipe;
  client->fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(client->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fail(std::string("connect: ") + std::strerror(errno));
  }
  const int one = 1;
  setsockopt(client->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!options.tls) return client;

  client->ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX* ctx = client->ctx_;
  if (options.min_version) SSL_CTX_set_min_proto_version(ctx, options.min_version);
  if (options.max_version) SSL_CTX_set_max_proto_version(ctx, options.max_version);
  if (!options.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, options.ciphersuites.c_str()) != 1) {
    return fail("ciphersuites");
  }
  if (!options.cipher_list.empty() &&
      SSL_CTX_set_cipher_list(ctx, options.cipher_list.c_str()) != 1) {
    return fail("cipher list");
  }
  if (!options.groups.empty() && SSL_CTX_set1_groups_list(ctx, options.groups.c_str()) != 1) {
    return fail("groups");
  }
  SSL_CTX_set_info_callback(ctx, &TestClient::OnTlsInfo);
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      return fail("CA file");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("client certificate");
    }
  }
  client->ssl_ = SSL_new(ctx);
  SSL_set_app_data(client->ssl_, client.get());
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client->ssl_), "127.0.0.1");
  SSL_set_fd(client->ssl_, client->fd_);
  if (SSL_connect(client->ssl_) != 1) return fail("handshake");
  return client;
}

TestClient::~TestClient() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

bool TestClient::Send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(bytes.size() - done, 1 << 20));
    const int n = ssl_ ? SSL_write(ssl_, bytes.data() + done, chunk)
                       : static_cast<int>(::send(fd_, bytes.data() + done,
                                                 static_cast<std::size_t>(chunk), MSG_NOSIGNAL));
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int TestClient::Read(char* data, int size) {
  if (ssl_) return SSL_read(ssl_, data, size);
  return static_cast<int>(::recv(fd_, data, static_cast<std::size_t>(size), 0));
}

std::optional<ClientResponse> TestClient::ReadResponse(bool head) {
  char buf[16384];
  std::size_t header_end;
  while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    const int n = Read(buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
  ClientResponse response;
  const std::string head_text = pending_.substr(0, header_end);
  pending_.erase(0, header_end + 4);
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  response.status = std::atoi(status_line.c_str() + 9);
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    const std::string line = head_text.substr(
        start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    response.headers.emplace_back(line.substr(0, colon), value);
  }
  const auto length = response.Header("Content-Length");
  const std::size_t body_size = (head || !length) ? 0 : std::stoul(*length);
  while (pending_.size() < body_size) {
    const int n = Read(buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
  response.body = pending_.substr(0, body_size);
  pending_.erase(0, body_size);
  return response;
}

std::optional<ClientResponse> TestClient::Request(const std::string& method,
                                                  const std::string& target,
                                                  const std::string& body,
                                                  const std::string& extra_headers) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += extra_headers + "\r\n" + body;
  if (!Send(request)) return std::nullopt;
  return ReadResponse(method == "HEAD");
}

bool TestClient::PeerClosed() {
  if (!pending_.empty()) return false;
  char c;
  return Read(&c, 1) <= 0;
}

std::string TestClient::ServerCommonName() const {
  if (!ssl_) return {};
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) return {};
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

std::string TestClient::Cipher() const { return ssl_ ? SSL_get_cipher_name(ssl_) : ""; }

bool ConnectRefused(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool refused = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0;
  close(fd);
  return refused;
}

}  // namespace xks::server::testing
