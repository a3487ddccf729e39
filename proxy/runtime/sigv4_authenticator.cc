#include "proxy/runtime/sigv4_authenticator.h"

namespace xks::runtime {

std::shared_ptr<const auth::CredentialStore> BuildCredentialStore(
    const tenant::TenantRegistry& registry) {
  std::vector<auth::Credential> credentials;
  for (const auto& tenant : registry.tenants()) {
    for (const auto& credential : tenant.credentials) {
      credentials.push_back(auth::Credential{credential.access_key_id,
                                             credential.secret_access_key.Clone(), tenant.name});
    }
  }
  return std::make_shared<const auth::CredentialStore>(std::move(credentials));
}

SigV4Authenticator::SigV4Authenticator(WallClock clock)
    : clock_(std::move(clock)),
      store_(std::make_shared<const auth::CredentialStore>(std::vector<auth::Credential>{})) {}

void SigV4Authenticator::Publish(const tenant::TenantRegistry& registry) {
  auto next = BuildCredentialStore(registry);
  std::lock_guard lock(mutex_);
  store_ = std::move(next);
}

std::shared_ptr<const auth::CredentialStore> SigV4Authenticator::Current() const {
  std::lock_guard lock(mutex_);
  return store_;
}

ProxyResult<api::Caller> SigV4Authenticator::Authenticate(const HttpRequest& request,
                                                          std::string_view tenant) {
  const auto store = Current();
  auto caller = verifier_.Verify(request, *store, tenant, clock_());
  if (!caller.ok()) return Fail(std::move(caller).error());
  return api::Caller{std::move(caller->access_key_id), std::move(caller->region)};
}

std::optional<std::string> SigV4Authenticator::PresentedAccessKeyId(const HttpRequest& request) {
  return auth::SigV4Verifier::PresentedAccessKeyId(request);
}

}  // namespace xks::runtime
