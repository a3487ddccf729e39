#pragma once
// Test-only helpers for the server's tests (library xks_server_test_support, never linked into
// the proxy): a throw-away PKI written to a mkdtemp folder, and a small blocking HTTP/1.1 client
// over raw OpenSSL (or plain TCP) so tests need not compile Beast. Not thread-safe per object.

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xks::server::testing {

enum class KeyType { kRsa, kEc };

/// A certificate and its key, as files in the PKI folder and as OpenSSL objects (for signing).
struct Identity {
  std::string cert_file;
  std::string key_file;
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

/// A temporary folder of certificates; removed (recursively) by the destructor. Aborts the test
/// process on OpenSSL failure (tests only).
class TestPki {
 public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  /// A self-signed CA certificate (basicConstraints CA:TRUE).
  Identity MakeCa(const std::string& name, KeyType type);
  /// A leaf with subject CN=`common_name`, signed by `issuer` (self-signed when null), valid from
  /// now+`not_before_s` to now+`not_after_s`. Server leaves get SAN IP:127.0.0.1, DNS:localhost.
  Identity MakeLeaf(const std::string& name, const std::string& common_name, KeyType type,
                    const Identity* issuer, long not_before_s = -3600, long not_after_s = 86400);
  /// Writes `content` to dir()/name and returns the path.
  std::string WriteFile(const std::string& name, const std::string& content);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

struct ClientOptions {
  bool tls = true;
  std::string ca_file;    ///< verify the server against it (and its SAN IP 127.0.0.1)
  std::string cert_file;  ///< client certificate for mTLS (optional)
  std::string key_file;
  int min_version = 0;  ///< e.g. TLS1_2_VERSION; 0 = library default
  int max_version = 0;
  std::string ciphersuites;  ///< TLS 1.3 suites; empty = default
  std::string cipher_list;   ///< TLS 1.2 and below; empty = default
  std::string groups;        ///< key exchange groups offered, e.g. "ffdhe8192"; empty = default
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(const std::string& name) const;
};

/// One blocking connection to 127.0.0.1:port.
class TestClient {
 public:
  /// Connects and (with TLS) completes the handshake; nullptr and error text on failure, and the
  /// TLS alert the server sent (SSL_AD_* value, e.g. SSL_AD_HANDSHAKE_FAILURE) if there was one.
  static std::unique_ptr<TestClient> Connect(std::uint16_t port, const ClientOptions& options,
                                             std::string* error = nullptr,
                                             std::optional<int>* alert = nullptr);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool Send(const std::string& bytes);
  /// Reads one response (Content-Length framed; `head` = no body). nullopt on EOF or error.
  std::optional<ClientResponse> ReadResponse(bool head = false);
  /// Sends a request with Host and Content-Length and reads the response.
  std::optional<ClientResponse> Request(const std::string& method, const std::string& target,
                                        const std::string& body = {},
                                        const std::string& extra_headers = {});
  /// True when the server has closed the connection (a read returns EOF or an error).
  bool PeerClosed();
  /// The subject CN of the server's certificate ("" without TLS).
  std::string ServerCommonName() const;
  /// The negotiated cipher, e.g. "TLS_AES_256_GCM_SHA384".
  std::string Cipher() const;
  /// The last TLS alert received from the server (SSL_AD_* value), if any. TLS 1.3 servers
  /// refuse a client certificate after the client's handshake is done: the alert then arrives
  /// with the first read.
  std::optional<int> received_alert() const { return received_alert_; }

 private:
  TestClient() = default;
  int Read(char* data, int size);
  static void OnTlsInfo(const SSL* ssl, int where, int ret);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string pending_;  // bytes read past the previous response
  std::optional<int> received_alert_;
};

/// True when a plain TCP connect to 127.0.0.1:port is refused (the listener is closed).
bool ConnectRefused(std::uint16_t port);

}  // namespace xks::server::testing
