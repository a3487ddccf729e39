#pragma once
// The proxy's one error model: every failure above the PKCS#11 layer is an `Error` carrying exactly
// one of the spec's errorNames (XKS Proxy API v1, "Error codes") and a message for the client.
// The message must be printable ASCII, under 512 characters, and never contain secrets, plaintext,
// AAD or key material. Details for operators (CK_RV values, which SigV4 part failed) go in
// `log_detail`, which reaches the log but never the client.

#include <string>
#include <string_view>

#include "base/result.h"

namespace xks {

/// The spec's errorName values, one to one.
enum class ErrorName {
  kValidation,            ///< 400 ValidationException
  kInvalidState,          ///< 400 InvalidStateException
  kInvalidCiphertext,     ///< 400 InvalidCiphertextException
  kInvalidKeyUsage,       ///< 400 InvalidKeyUsageException
  kAuthenticationFailed,  ///< 401 AuthenticationFailedException
  kAccessDenied,          ///< 403 AccessDeniedException
  kKeyNotFound,           ///< 404 KeyNotFoundException
  kInvalidUriPath,        ///< 404 InvalidUriPathException
  kThrottling,            ///< 429 ThrottlingException
  kUnsupportedOperation,  ///< 501 UnsupportedOperationException
  kDependencyTimeout,     ///< 503 DependencyTimeoutException
  kInternal,              ///< 500 InternalException
};

/// The wire spelling, e.g. "ValidationException".
std::string_view ErrorNameString(ErrorName name);
/// The HTTP status the spec assigns to the error name.
int HttpStatus(ErrorName name);

struct Error {
  ErrorName name = ErrorName::kInternal;
  std::string message;     ///< sent to the client; safe, printable ASCII, < 512 chars
  std::string log_detail;  ///< operators only; never sent, still never a secret
};

template <typename T>
using ProxyResult = Result<T, Error>;

/// Convenience constructor: `return Fail(MakeError(ErrorName::kValidation, "plaintext: not
/// Base64"));`
inline Error MakeError(ErrorName name, std::string message, std::string log_detail = {}) {
  return Error{name, std::move(message), std::move(log_detail)};
}

}  // namespace xks
