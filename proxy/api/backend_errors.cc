#include "proxy/api/backend_errors.h"

namespace xks::api {
namespace {

// The name the client sees for `reported` in `call` (before the verification rule).
ErrorName ClientName(BackendCall call, ErrorName reported) {
  switch (reported) {
    case ErrorName::kKeyNotFound:
    case ErrorName::kInvalidKeyUsage:
    case ErrorName::kDependencyTimeout:
    case ErrorName::kThrottling:
      return reported;
    case ErrorName::kInvalidCiphertext:
      return call == BackendCall::kDecrypt ? reported : ErrorName::kInternal;
    default:
      // Validation from the HSM (it refused parameters we built) is our fault, not the client's.
      return ErrorName::kInternal;
  }
}

}  // namespace

std::string_view BackendCallName(BackendCall call) {
  switch (call) {
    case BackendCall::kDescribe:
      return "Describe";
    case BackendCall::kEncrypt:
      return "Encrypt";
    case BackendCall::kDecrypt:
      return "Decrypt";
    case BackendCall::kEncryptVerification:
      return "Encrypt verification";
  }
  return "?";
}

std::string_view HsmFailureMessage(ErrorName name) {
  switch (name) {
    case ErrorName::kKeyNotFound:
      return "The external key was not found in the HSM.";
    case ErrorName::kInvalidCiphertext:
      return kInvalidCiphertextMessage;
    case ErrorName::kInvalidKeyUsage:
      return "The external key does not support the requested operation.";
    case ErrorName::kDependencyTimeout:
      return "The HSM did not answer within the time budget.";
    case ErrorName::kThrottling:
      return "The HSM is busy; retry later.";
    case ErrorName::kValidation:
      return "The HSM refused the request parameters.";
    default:
      return "The HSM could not perform the operation.";
  }
}

Error HsmFailure(ErrorName name, std::string log_detail) {
  return MakeError(name, std::string(HsmFailureMessage(name)), std::move(log_detail));
}

Error ClientErrorForBackendFailure(BackendCall call, const Error& backend_error) {
  // Clients get a fixed message per row; whatever the backend wrote goes to the log only.
  std::string detail =
      std::string(BackendCallName(call)) + ": " + backend_error.message +
      (backend_error.log_detail.empty() ? "" : " (" + backend_error.log_detail + ")");
  const ErrorName name = ClientName(call, backend_error.name);
  if (call == BackendCall::kEncryptVerification && name != ErrorName::kDependencyTimeout) {
    return MakeError(ErrorName::kInternal, std::string(kEncryptNotVerifiedMessage),
                     std::move(detail));
  }
  return HsmFailure(name, std::move(detail));
}

}  // namespace xks::api
