#pragma once
// Test doubles for the XKS service (tests only; linked as xks_api_testing):
//  - FakeKeyBackend: "tokens" holding AES keys, real AES-256-GCM through OpenSSL EVP; like an
//    HSM it refuses Decrypt (kInvalidKeyUsage) with a key whose attributes forbid decrypting.
//  - FakeAuthenticator: accepts a request whose X-Test-Tenant header names the tenant.
//  - RecordingAuditSink, RecordingLogger: keep everything they receive.
//  - TempDir and the standard configuration, from proxy/config/testing and proxy/tenant/testing.
// All are thread-safe (one mutex each).

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "proxy/api/health_monitor.h"
#include "proxy/api/key_backend.h"
#include "proxy/api/log.h"
#include "proxy/api/request_authenticator.h"
#include "proxy/audit/audit_sink.h"
#include "proxy/tenant/tenant_registry.h"
#include "proxy/tenant/testing/registry_fixture.h"

namespace xks::api::testing {

using Key32 = std::array<std::uint8_t, 32>;

class FakeKeyBackend : public KeyBackend {
 public:
  /// Adds (or replaces) a key. `attributes` defaults to an AES-256 encrypt/decrypt key.
  void AddKey(const std::string& token, const std::string& label, const Key32& material,
              std::optional<KeyAttributes> attributes = std::nullopt);
  void SetAttributes(const std::string& token, const std::string& label, KeyAttributes attributes);
  /// The next call of `call` ("Describe", "Encrypt", "Decrypt") fails with `error`.
  void FailNext(const std::string& call, Error error);
  /// The next Encrypt flips a bit of its tag after computing it (simulates corruption).
  void CorruptNextEncrypt() {
    std::lock_guard<std::mutex> l(mu_);
    corrupt_next_encrypt_ = true;
  }
  /// Health result for a token (default: ok).
  void SetHealth(const std::string& token, bool ok);
  /// A clock advance applied during every CheckTokenHealth (to simulate slow checks).
  void SetHealthCheckDelay(std::function<void()> delay) { health_delay_ = std::move(delay); }

  int calls(const std::string& call) const;
  std::vector<std::uint8_t> last_hsm_aad() const;
  KeyLocation last_location() const;

  ProxyResult<KeyAttributes> Describe(const KeyLocation& key, Deadline deadline) override;
  ProxyResult<SealedData> Encrypt(const KeyLocation& key, std::span<const std::uint8_t> plaintext,
                                  std::span<const std::uint8_t> hsm_aad,
                                  Deadline deadline) override;
  ProxyResult<SecretBytes> Decrypt(const KeyLocation& key, std::span<const std::uint8_t> iv,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> hsm_aad,
                                   Deadline deadline) override;
  ProxyResult<void> CheckTokenHealth(std::string_view token_id, Deadline deadline) override;
  std::string TokenModel(std::string_view token_id) override;

 private:
  struct FakeKey {
    Key32 material;
    KeyAttributes attributes;
  };
  std::optional<Error> TakeFailure(const std::string& call);
  ProxyResult<const FakeKey*> Find(const KeyLocation& key);

  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, FakeKey>> tokens_;
  std::map<std::string, Error> fail_next_;
  std::map<std::string, int> calls_;
  std::map<std::string, bool> health_;
  std::function<void()> health_delay_;
  std::vector<std::uint8_t> last_hsm_aad_;
  KeyLocation last_location_;
  bool corrupt_next_encrypt_ = false;
};

/// Authenticates when header X-Test-Tenant equals the tenant; the caller's access key id is the
/// X-Test-Access-Key header. Fails with kAuthenticationFailed otherwise.
class FakeAuthenticator : public RequestAuthenticator {
 public:
  ProxyResult<Caller> Authenticate(const HttpRequest& request, std::string_view tenant) override;
  std::optional<std::string> PresentedAccessKeyId(const HttpRequest& request) override;
};

class RecordingAuditSink : public audit::AuditSink {
 public:
  ProxyResult<std::uint64_t> Append(const audit::AuditEvent& event) override;
  void AppendNoWait(audit::AuditEvent event) override;
  bool Healthy() const override;
  void set_fail(bool fail) {
    std::lock_guard<std::mutex> l(mu_);
    fail_ = fail;
  }
  void set_healthy(bool healthy) {
    std::lock_guard<std::mutex> l(mu_);
    healthy_ = healthy;
  }
  std::vector<audit::AuditEvent> events() const;
  /// Calls of Append (the caller waited) and of AppendNoWait (queued) so far.
  int waited_appends() const;
  int queued_appends() const;
  /// Every event serialized as JSON text (for "never appears" scans).
  std::string AllText() const;

 private:
  mutable std::mutex mu_;
  std::vector<audit::AuditEvent> events_;
  bool fail_ = false;
  bool healthy_ = true;
  int waited_appends_ = 0;
  int queued_appends_ = 0;
};

class RecordingLogger : public Logger {
 public:
  void Log(LogLevel level, std::string_view line) override;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

/// A manual clock for tests.
class ManualClock {
 public:
  std::chrono::steady_clock::time_point Now() const;
  void Advance(std::chrono::steady_clock::duration d);
  SteadyClock AsFunction();

 private:
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

// The configuration fixture lives with the tenant layer (its own tests use it without reaching up
// into proxy/api); the API tests keep their short names.
using tenant::testing::BuildRegistry;
using tenant::testing::kAcmeAccessKey;
using tenant::testing::kAcmeAccessKey2;
using tenant::testing::kAcmeSecret;
using tenant::testing::kGlobexAccessKey;
using tenant::testing::kGlobexSecret;
using tenant::testing::StandardConfigJson;
using tenant::testing::TempDir;

}  // namespace xks::api::testing
