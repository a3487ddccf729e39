#pragma once
// SigV4 verification as the XKS operations see it. The lead implements it on proxy/auth; tests use
// a fake. Keeping this interface here lets proxy/api build without proxy/auth.

#include <optional>
#include <string>
#include <string_view>

#include "proxy/common/error.h"
#include "proxy/common/http_message.h"

namespace xks::api {

/// Who signed a request that authenticated.
struct Caller {
  std::string access_key_id;
  std::string region;
};

/// SigV4 for one tenant. Thread-safe, never throws.
class RequestAuthenticator {
 public:
  virtual ~RequestAuthenticator() = default;
  /// Verifies the request's signature with the credentials of tenant `tenant` only (a valid
  /// signature made with another tenant's credential must fail).
  /// Errors: ErrorName::kAuthenticationFailed with a fixed message (details in log_detail).
  virtual ProxyResult<Caller> Authenticate(const HttpRequest& request, std::string_view tenant) = 0;
  /// The access key id the request claims, for audit even when authentication fails.
  virtual std::optional<std::string> PresentedAccessKeyId(const HttpRequest& request) = 0;
};

}  // namespace xks::api
