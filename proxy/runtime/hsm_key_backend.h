#pragma once
// The proxy's KeyBackend on real PKCS#11 tokens: one TokenClient per configured token, opened from
// the `hsm` section of the configuration. This is the only place where the proxy calls the pkcs11
// facade for request work, and where HsmErrorKind becomes an XKS errorName (MapHsmError; the client
// messages and the per-call answer are api::HsmFailure and api::ClientErrorForBackendFailure).
//
// Thread safety: every member is thread-safe. ApplyConfig (reload) swaps the token map atomically;
// requests already holding a token keep it alive until they finish.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "base/problem.h"
#include "pkcs11/hsm.h"
#include "proxy/api/key_backend.h"
#include "proxy/config/config.h"
#include "proxy/runtime/stuck_calls.h"
#include "proxy/runtime/token_executor.h"

namespace xks::runtime {

/// The errorName an HSM layer error kind is reported as (exhaustive over HsmErrorKind).
ErrorName ErrorNameForHsmKind(pkcs11::HsmErrorKind kind);

/// Maps an HSM layer error to the error the backend returns: ErrorNameForHsmKind with the
/// message of api::HsmFailure (proxy/api/backend_errors.h owns every client message; XksService
/// then decides per call what the client sees). The kind, CK_RV and HSM message go to
/// `log_detail` only. Unit-tested.
Error MapHsmError(const pkcs11::HsmError& error);

/// One opened token and what the health check needs.
struct OpenToken {
  std::string id;
  std::shared_ptr<pkcs11::TokenClient> client;
  std::string health_check_key;
  std::string model;  ///< for ekmFleetDetails.model
  /// Counts this token's calls past their deadline (hsm.tokens[].max_stuck_calls).
  std::unique_ptr<StuckCallLimiter> stuck_calls;
  /// What it was opened from; a reload reopens the token only when this changes.
  std::string fingerprint;
  /// Where request work for this token runs: max_sessions threads, queue_limit waiting. Last, so
  /// it stops (answering what waits) before the client it uses goes.
  std::unique_ptr<TokenExecutor> executor;
};

class HsmKeyBackend final : public api::KeyBackend {
 public:
  HsmKeyBackend() = default;

  /// Opens every module and token in `hsm` that is not already open with the same settings, and
  /// drops tokens no longer configured. On any failure nothing changes and every problem is
  /// returned, at its hsm.modules[i] or hsm.tokens[i] path (no PINs). Call once at start, then on
  /// each reload.
  Result<void, Problems> ApplyConfig(const config::HsmConfig& hsm);

  /// On the token's executor (hsm.tokens[].max_sessions threads, queue_limit queued). Refused at
  /// once: DependencyTimeout while max_stuck_calls calls are stuck; Throttling when the queue is
  /// full or the wait would outlast `deadline`.
  void Schedule(std::string_view token_id, api::Deadline deadline, HsmWork work) override;
  ProxyResult<api::KeyAttributes> Describe(const api::KeyLocation& key,
                                           api::Deadline deadline) override;
  ProxyResult<api::SealedData> Encrypt(const api::KeyLocation& key,
                                       std::span<const std::uint8_t> plaintext,
                                       std::span<const std::uint8_t> hsm_aad,
                                       api::Deadline deadline) override;
  ProxyResult<SecretBytes> Decrypt(const api::KeyLocation& key, std::span<const std::uint8_t> iv,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> hsm_aad,
                                   api::Deadline deadline) override;
  ProxyResult<void> CheckTokenHealth(std::string_view token_id, api::Deadline deadline) override;
  std::string TokenModel(std::string_view token_id) override;

  /// The open token with that id, or null. For the audit signer and administration.
  std::shared_ptr<OpenToken> FindToken(std::string_view token_id) const;

  /// Shutdown: every token's executor refuses new work and answers what waits (503); then waits
  /// until the running work is done or `until` passes (a hung HSM call cannot be interrupted).
  /// True when all work finished.
  bool StopExecutors(std::chrono::steady_clock::time_point until);

 private:
  using TokenMap = std::map<std::string, std::shared_ptr<OpenToken>, std::less<>>;
  ProxyResult<std::shared_ptr<OpenToken>> Token(std::string_view token_id) const;
  /// An open token and the admission of one call on it.
  struct Admitted {
    std::shared_ptr<OpenToken> token;
    StuckCallLimiter::Admission admission;
  };
  /// The token, with a call admitted until `deadline`; DependencyTimeout at once while too many
  /// of its calls are stuck past their deadline.
  ProxyResult<Admitted> Admit(std::string_view token_id, api::Deadline deadline) const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<pkcs11::Module>, std::less<>> modules_;  // by module spec
  TokenMap tokens_;
};

}  // namespace xks::runtime
