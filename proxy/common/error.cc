#include "proxy/common/error.h"

#include <cstdlib>

namespace xks {

// Exhaustive switches (no default) so a new enumerator is a compile error (-Werror=switch).
std::string_view ErrorNameString(ErrorName name) {
  switch (name) {
    case ErrorName::kValidation:
      return "ValidationException";
    case ErrorName::kInvalidState:
      return "InvalidStateException";
    case ErrorName::kInvalidCiphertext:
      return "InvalidCiphertextException";
    case ErrorName::kInvalidKeyUsage:
      return "InvalidKeyUsageException";
    case ErrorName::kAuthenticationFailed:
      return "AuthenticationFailedException";
    case ErrorName::kAccessDenied:
      return "AccessDeniedException";
    case ErrorName::kKeyNotFound:
      return "KeyNotFoundException";
    case ErrorName::kInvalidUriPath:
      return "InvalidUriPathException";
    case ErrorName::kThrottling:
      return "ThrottlingException";
    case ErrorName::kUnsupportedOperation:
      return "UnsupportedOperationException";
    case ErrorName::kDependencyTimeout:
      return "DependencyTimeoutException";
    case ErrorName::kInternal:
      return "InternalException";
  }
  std::abort();
}

int HttpStatus(ErrorName name) {
  switch (name) {
    case ErrorName::kValidation:
    case ErrorName::kInvalidState:
    case ErrorName::kInvalidCiphertext:
    case ErrorName::kInvalidKeyUsage:
      return 400;
    case ErrorName::kAuthenticationFailed:
      return 401;
    case ErrorName::kAccessDenied:
      return 403;
    case ErrorName::kKeyNotFound:
    case ErrorName::kInvalidUriPath:
      return 404;
    case ErrorName::kThrottling:
      return 429;
    case ErrorName::kUnsupportedOperation:
      return 501;
    case ErrorName::kDependencyTimeout:
      return 503;
    case ErrorName::kInternal:
      return 500;
  }
  std::abort();
}

}  // namespace xks
