#pragma once
// The HSM as the XKS operations see it. The lead implements it on pkcs11::TokenClient; tests
// implement it on OpenSSL. Keeping this interface here lets proxy/api build without pkcs11/.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "proxy/common/error.h"

namespace xks::api {

/// Absolute deadline on the steady clock for one backend call.
using Deadline = std::chrono::steady_clock::time_point;

/// Which HSM object a request uses: the tenant's own token and the key's label (or RFC 7512
/// "pkcs11:object=..." URI).
struct KeyLocation {
  std::string token_id;
  std::string key_label;
};

/// PKCS#11 attributes of a key, as GetKeyMetadata and the usage checks need them.
struct KeyAttributes {
  std::string key_type;  ///< "AES", "GENERIC_SECRET", "RSA", "EC" or "OTHER"
  std::size_t bits = 0;  ///< key length in bits (0 when not reported)
  bool encrypt = false, decrypt = false, wrap = false, unwrap = false, sign = false, verify = false,
       derive = false;
};

/// Output of an AES-256-GCM encryption: the tag is separate from the ciphertext.
struct SealedData {
  std::vector<std::uint8_t> iv;          ///< 12 (or 16) bytes, chosen by the HSM
  std::vector<std::uint8_t> ciphertext;  ///< same length as the plaintext
  std::array<std::uint8_t, 16> tag{};
};

/// The HSM as the API sees it. Thread-safe: any number of worker threads call it concurrently.
/// Never throws. Errors arrive already mapped to errorNames: kKeyNotFound (no such key on the
/// token), kInvalidCiphertext (tag did not verify), kInvalidKeyUsage (key type/usage forbids the
/// mechanism), kDependencyTimeout (deadline passed, e.g. waiting for a session), kInternal
/// (anything else). Error messages must be safe for clients; details go in log_detail.
class KeyBackend {
 public:
  /// Work that makes HSM calls; `admitted` is ok when it may make them, else the error to answer.
  using HsmWork = std::function<void(ProxyResult<void> admitted)>;

  virtual ~KeyBackend() = default;
  /// Runs `work` where calls for `token_id` may block: on that token's own threads, as many as
  /// the HSM takes calls in parallel, never on the caller's. `work` is called exactly once: on a
  /// token thread with ok; or with an error, at once on the caller's thread or later on a token
  /// thread — kThrottling (429: the token's queue is full, or the wait would outlast `deadline`),
  /// kDependencyTimeout (503: the wait outlasted `deadline`, too many calls are stuck, the token
  /// is going away), kInternal (no such token). Errors carry client-safe messages.
  /// The default runs `work` at once on the caller's thread: for backends that never block.
  virtual void Schedule(std::string_view token_id, Deadline deadline, HsmWork work) {
    (void)token_id;
    (void)deadline;
    work(ProxyResult<void>{});
  }
  /// Attributes of `key`. Errors: kKeyNotFound, kDependencyTimeout, kInternal.
  virtual ProxyResult<KeyAttributes> Describe(const KeyLocation& key, Deadline deadline) = 0;
  /// AES-256-GCM with a fresh HSM-generated IV and `hsm_aad` as the GCM AAD.
  virtual ProxyResult<SealedData> Encrypt(const KeyLocation& key,
                                          std::span<const std::uint8_t> plaintext,
                                          std::span<const std::uint8_t> hsm_aad,
                                          Deadline deadline) = 0;
  /// AES-256-GCM decrypt and verify; the plaintext is returned only after the tag verified.
  virtual ProxyResult<SecretBytes> Decrypt(const KeyLocation& key, std::span<const std::uint8_t> iv,
                                           std::span<const std::uint8_t> ciphertext,
                                           std::span<const std::uint8_t> tag,
                                           std::span<const std::uint8_t> hsm_aad,
                                           Deadline deadline) = 0;
  /// Deep check of one token: encrypt+decrypt with its dedicated health-check key (never a tenant
  /// key). Errors: any; the HealthMonitor reports the token UNAVAILABLE.
  virtual ProxyResult<void> CheckTokenHealth(std::string_view token_id, Deadline deadline) = 0;
  /// e.g. "SoftHSM v2.6 (token 'acme')", for ekmFleetDetails.model. Must not block on the HSM
  /// (return a value cached when the token was opened).
  virtual std::string TokenModel(std::string_view token_id) = 0;
};

}  // namespace xks::api
