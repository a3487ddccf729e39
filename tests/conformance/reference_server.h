#pragma once
// A small, correct-by-construction XKS endpoint for testing xks-conformance: AES-256-GCM on
// in-memory keys (OpenSSL), its own SigV4 verification, plain HTTP or TLS on 127.0.0.1:0, one
// thread per connection. Each Misbehaviour flag breaks one specific rule of the spec so the tests
// can check that the runner notices exactly that.

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "conformance/config.h"

namespace xks::conformance::testing {

/// Deliberate deviations from the spec. All false means a conforming endpoint.
struct Misbehaviour {
  bool not_found_as_400 = false;              // KeyNotFoundException with HTTP 400 instead of 404
  bool health_missing_ekm_vendor = false;     // GetHealthStatus omits ekmVendor
  bool cdiv_without_aad = false;              // CDIV hashes everything but the AAD
  bool accept_bad_signature = false;          // computes but does not compare the SigV4 signature
  bool ignore_ciphertext_metadata = false;    // returns metadata but leaves it out of the GCM AAD
  bool get_returns_200 = false;               // GET on operation URIs answers 200
  bool oversize_ciphertext_metadata = false;  // 21-byte ciphertextMetadata (decrypt allows 21)
  bool reused_iv = false;                     // constant IV
  bool no_clock_skew_check = false;           // X-Amz-Date age not checked
  bool close_after_response = false;          // no keep-alive
  bool ignore_key_usage = false;              // keyUsage not enforced
  bool reject_unknown_fields = false;         // unknown JSON fields give ValidationException
  bool require_uuid_request_id = false;       // kmsRequestId must look like a UUID
  bool lax_base64 = false;                    // accepts unpadded and base64url input
  bool weak_tls = false;                      // TLS 1.2 only with ECDHE-ECDSA-AES128-GCM-SHA256
  bool cross_tenant_keys = false;             // any tenant may use any tenant's keys
  bool reject_16_byte_iv = false;             // ValidationException for a 16-byte IV on decrypt
  bool aad_without_lengths = false;           // GCM AAD = aad || metadata, no length prefixes
  bool plaintext_limit_4096 = false;          // rejects plaintext/ciphertext over 4096 bytes
  bool aad_limit_4096 = false;                // rejects AAD over 4096 bytes
  bool arn_limit_1024 = false;           // rejects requestMetadata strings over 1024 characters
  bool lowercase_health_status = false;  // healthStatus "active"
  bool fleet_size_zero = false;          // xksProxyFleetSize 0
  int delay_ms = 0;                      // sleep before answering encrypt
};

/// How to run the server.
struct ReferenceServerOptions {
  bool tls = false;
  std::string cert_file;       // PEM, when tls
  std::string key_file;        // PEM, when tls
  std::string client_ca_file;  // when set, a client certificate chained to it is required
  Misbehaviour misbehaviour;
};

/// The running server. Start() binds 127.0.0.1:0 and serves until destruction.
/// Thread-safe: connections are served concurrently; the destructor joins every thread.
class ReferenceServer {
 public:
  /// Starts serving; returns an error string when the socket or TLS setup fails.
  static std::unique_ptr<ReferenceServer> Start(const ReferenceServerOptions& options,
                                                std::string& error);
  ~ReferenceServer();
  ReferenceServer(const ReferenceServer&) = delete;
  ReferenceServer& operator=(const ReferenceServer&) = delete;

  int port() const { return port_; }

  /// A runner configuration with every optional input set (all key kinds, second tenant).
  Config MakeConfig() const;

  struct Impl;

 private:
  ReferenceServer() = default;
  void AcceptLoop();
  void Serve(int fd);

  std::unique_ptr<Impl> impl_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::set<int> open_fds_;
};

/// Writes a self-signed P-256 certificate for `common_name` (also as DNS SAN) and its key as PEM
/// files. Returns false on any OpenSSL failure.
bool WriteSelfSignedCert(const std::string& common_name, const std::string& cert_file,
                         const std::string& key_file);

}  // namespace xks::conformance::testing
