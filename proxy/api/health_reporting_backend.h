#pragma once
// A KeyBackend that forwards every call to another and tells the HealthMonitor what each live HSM
// call met, so GetHealthStatus reflects what requests see between deep checks (issue 14). It sits
// at the one boundary every request's HSM work crosses (below the attribute cache, above the
// adapter), so each outcome is noted exactly once whichever operation made the call.
//
// Thread safety: as thread-safe as the wrapped backend; HealthMonitor::NoteOutcome is.

#include "proxy/api/health_monitor.h"
#include "proxy/api/key_backend.h"

namespace xks::api {

/// What a failed backend call says about the HSM. kDependencyTimeout (no session before the
/// deadline: the HSM is stuck or saturated) and kInternal (device, token, session or login errors,
/// anything unexpected) are the HSM's; every other name (KeyNotFound, InvalidCiphertext,
/// InvalidKeyUsage, Validation, ...) is the request's, and the HSM answered it.
HsmOutcome OutcomeOfBackendError(const Error& error);

class HealthReportingBackend final : public KeyBackend {
 public:
  /// `inner` and `health` must outlive this object.
  HealthReportingBackend(KeyBackend& inner, HealthMonitor& health)
      : inner_(inner), health_(health) {}

  /// Forwarded; a refusal that blames the HSM (stuck calls, a wait past the deadline) is noted
  /// as a failure, one for load (a full queue) is not. The calls the work makes are noted too.
  void Schedule(std::string_view token_id, Deadline deadline, HsmWork work) override;
  ProxyResult<KeyAttributes> Describe(const KeyLocation& key, Deadline deadline) override;
  ProxyResult<SealedData> Encrypt(const KeyLocation& key, std::span<const std::uint8_t> plaintext,
                                  std::span<const std::uint8_t> hsm_aad,
                                  Deadline deadline) override;
  ProxyResult<SecretBytes> Decrypt(const KeyLocation& key, std::span<const std::uint8_t> iv,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> hsm_aad,
                                   Deadline deadline) override;
  /// Forwarded unobserved: the monitor records its own checks.
  ProxyResult<void> CheckTokenHealth(std::string_view token_id, Deadline deadline) override {
    return inner_.CheckTokenHealth(token_id, deadline);
  }
  std::string TokenModel(std::string_view token_id) override { return inner_.TokenModel(token_id); }

 private:
  template <typename T>
  ProxyResult<T> Noted(std::string_view token_id, ProxyResult<T> result);

  KeyBackend& inner_;
  HealthMonitor& health_;
};

}  // namespace xks::api
