#pragma once
// The API's RequestAuthenticator on the SigV4 verifier, with the credentials of the current
// configuration. Publish() swaps the credential store atomically on reload; a request verifies
// against whichever store is current when it authenticates (microseconds after it took its tenant
// snapshot), so a removed credential is refused from the moment of the swap.
//
// Thread safety: all members are thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "proxy/api/request_authenticator.h"
#include "proxy/auth/credential_store.h"
#include "proxy/auth/sigv4_verifier.h"
#include "proxy/tenant/tenant_registry.h"

namespace xks::runtime {

/// Builds the auth store from every tenant's credentials (secrets are copied, still zeroizing).
std::shared_ptr<const auth::CredentialStore> BuildCredentialStore(
    const tenant::TenantRegistry& registry);

class SigV4Authenticator final : public api::RequestAuthenticator {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  explicit SigV4Authenticator(WallClock clock = [] { return std::chrono::system_clock::now(); });

  /// Makes `registry`'s credentials the ones requests are verified against.
  void Publish(const tenant::TenantRegistry& registry);

  ProxyResult<api::Caller> Authenticate(const HttpRequest& request,
                                        std::string_view tenant) override;
  std::optional<std::string> PresentedAccessKeyId(const HttpRequest& request) override;

 private:
  std::shared_ptr<const auth::CredentialStore> Current() const;

  const WallClock clock_;
  const auth::SigV4Verifier verifier_;
  mutable std::mutex mutex_;
  std::shared_ptr<const auth::CredentialStore> store_;
};

}  // namespace xks::runtime
