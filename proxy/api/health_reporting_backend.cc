#include "proxy/api/health_reporting_backend.h"

#include <string>
#include <utility>

namespace xks::api {

HsmOutcome OutcomeOfBackendError(const Error& error) {
  switch (error.name) {
    case ErrorName::kDependencyTimeout:
    case ErrorName::kInternal:
      return HsmOutcome::kHsmFailure;
    default:
      return HsmOutcome::kClientError;
  }
}

template <typename T>
ProxyResult<T> HealthReportingBackend::Noted(std::string_view token_id, ProxyResult<T> result) {
  health_.NoteOutcome(token_id,
                      result.ok() ? HsmOutcome::kSuccess : OutcomeOfBackendError(result.error()));
  return result;
}

void HealthReportingBackend::Schedule(std::string_view token_id, Deadline deadline, HsmWork work) {
  inner_.Schedule(
      token_id, deadline,
      [this, token = std::string(token_id),
       work = std::move(work)](ProxyResult<void> admitted) mutable {
        if (!admitted.ok() && OutcomeOfBackendError(admitted.error()) == HsmOutcome::kHsmFailure) {
          health_.NoteOutcome(token, HsmOutcome::kHsmFailure);
        }
        work(std::move(admitted));
      });
}

ProxyResult<KeyAttributes> HealthReportingBackend::Describe(const KeyLocation& key,
                                                            Deadline deadline) {
  return Noted(key.token_id, inner_.Describe(key, deadline));
}

ProxyResult<SealedData> HealthReportingBackend::Encrypt(const KeyLocation& key,
                                                        std::span<const std::uint8_t> plaintext,
                                                        std::span<const std::uint8_t> hsm_aad,
                                                        Deadline deadline) {
  return Noted(key.token_id, inner_.Encrypt(key, plaintext, hsm_aad, deadline));
}

ProxyResult<SecretBytes> HealthReportingBackend::Decrypt(const KeyLocation& key,
                                                         std::span<const std::uint8_t> iv,
                                                         std::span<const std::uint8_t> ciphertext,
                                                         std::span<const std::uint8_t> tag,
                                                         std::span<const std::uint8_t> hsm_aad,
                                                         Deadline deadline) {
  return Noted(key.token_id, inner_.Decrypt(key, iv, ciphertext, tag, hsm_aad, deadline));
}

}  // namespace xks::api
