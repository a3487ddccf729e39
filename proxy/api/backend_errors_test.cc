// The one table from a failed HSM call to the client's error (backend_errors.h): every reported
// errorName in every call, with the client's errorName, fixed message and HTTP status.

#include "proxy/api/backend_errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace xks::api {
namespace {

constexpr std::string_view kNotFound = "The external key was not found in the HSM.";
constexpr std::string_view kUsage = "The external key does not support the requested operation.";
constexpr std::string_view kTimeout = "The HSM did not answer within the time budget.";
constexpr std::string_view kBusy = "The HSM is busy; retry later.";
constexpr std::string_view kFailed = "The HSM could not perform the operation.";

struct Row {
  BackendCall call;
  ErrorName reported;
  ErrorName client;
  std::string_view message;
  int status;
};

// Describe, Encrypt and Decrypt share every row but InvalidCiphertext (only a Decrypt can blame
// the client's ciphertext); a failed verifying decrypt is Internal unless it timed out.
const Row kRows[] = {
    {BackendCall::kDescribe, ErrorName::kKeyNotFound, ErrorName::kKeyNotFound, kNotFound, 404},
    {BackendCall::kDescribe, ErrorName::kInvalidCiphertext, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kDescribe, ErrorName::kInvalidKeyUsage, ErrorName::kInvalidKeyUsage, kUsage, 400},
    {BackendCall::kDescribe, ErrorName::kDependencyTimeout, ErrorName::kDependencyTimeout, kTimeout,
     503},
    {BackendCall::kDescribe, ErrorName::kThrottling, ErrorName::kThrottling, kBusy, 429},
    {BackendCall::kDescribe, ErrorName::kValidation, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kDescribe, ErrorName::kInternal, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kEncrypt, ErrorName::kKeyNotFound, ErrorName::kKeyNotFound, kNotFound, 404},
    {BackendCall::kEncrypt, ErrorName::kInvalidCiphertext, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kEncrypt, ErrorName::kInvalidKeyUsage, ErrorName::kInvalidKeyUsage, kUsage, 400},
    {BackendCall::kEncrypt, ErrorName::kDependencyTimeout, ErrorName::kDependencyTimeout, kTimeout,
     503},
    {BackendCall::kEncrypt, ErrorName::kThrottling, ErrorName::kThrottling, kBusy, 429},
    {BackendCall::kEncrypt, ErrorName::kValidation, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kEncrypt, ErrorName::kInternal, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kDecrypt, ErrorName::kKeyNotFound, ErrorName::kKeyNotFound, kNotFound, 404},
    {BackendCall::kDecrypt, ErrorName::kInvalidCiphertext, ErrorName::kInvalidCiphertext,
     kInvalidCiphertextMessage, 400},
    {BackendCall::kDecrypt, ErrorName::kInvalidKeyUsage, ErrorName::kInvalidKeyUsage, kUsage, 400},
    {BackendCall::kDecrypt, ErrorName::kDependencyTimeout, ErrorName::kDependencyTimeout, kTimeout,
     503},
    {BackendCall::kDecrypt, ErrorName::kThrottling, ErrorName::kThrottling, kBusy, 429},
    {BackendCall::kDecrypt, ErrorName::kValidation, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kDecrypt, ErrorName::kInternal, ErrorName::kInternal, kFailed, 500},
    {BackendCall::kEncryptVerification, ErrorName::kKeyNotFound, ErrorName::kInternal,
     kEncryptNotVerifiedMessage, 500},
    {BackendCall::kEncryptVerification, ErrorName::kInvalidCiphertext, ErrorName::kInternal,
     kEncryptNotVerifiedMessage, 500},
    {BackendCall::kEncryptVerification, ErrorName::kInvalidKeyUsage, ErrorName::kInternal,
     kEncryptNotVerifiedMessage, 500},
    {BackendCall::kEncryptVerification, ErrorName::kDependencyTimeout,
     ErrorName::kDependencyTimeout, kTimeout, 503},
    {BackendCall::kEncryptVerification, ErrorName::kThrottling, ErrorName::kInternal,
     kEncryptNotVerifiedMessage, 500},
    {BackendCall::kEncryptVerification, ErrorName::kValidation, ErrorName::kInternal,
     kEncryptNotVerifiedMessage, 500},
    {BackendCall::kEncryptVerification, ErrorName::kInternal, ErrorName::kInternal,
     kEncryptNotVerifiedMessage, 500},
};

TEST(BackendErrorsTest, EveryRowHasOneNameMessageAndStatus) {
  for (const Row& row : kRows) {
    const Error reported = MakeError(row.reported, "module said CKR_DEVICE_ERROR", "slot 3");
    const Error client = ClientErrorForBackendFailure(row.call, reported);
    SCOPED_TRACE(std::string(BackendCallName(row.call)) + " " +
                 std::string(ErrorNameString(row.reported)));
    EXPECT_EQ(client.name, row.client);
    EXPECT_EQ(client.message, row.message);
    EXPECT_EQ(HttpStatus(client.name), row.status);
    EXPECT_EQ(client.log_detail,
              std::string(BackendCallName(row.call)) + ": module said CKR_DEVICE_ERROR (slot 3)")
        << "the backend's words go to the log only";
  }
}

TEST(BackendErrorsTest, NamesNoBackendReportsStillGetAFixedInternalAnswer) {
  for (ErrorName odd :
       {ErrorName::kInvalidState, ErrorName::kAuthenticationFailed, ErrorName::kAccessDenied,
        ErrorName::kInvalidUriPath, ErrorName::kUnsupportedOperation}) {
    const Error client = ClientErrorForBackendFailure(BackendCall::kDecrypt, MakeError(odd, "x"));
    EXPECT_EQ(client.name, ErrorName::kInternal) << ErrorNameString(odd);
    EXPECT_EQ(client.message, kFailed);
  }
}

TEST(BackendErrorsTest, DetailWithoutBackendLogDetailHasNoParentheses) {
  const Error client = ClientErrorForBackendFailure(
      BackendCall::kEncrypt, MakeError(ErrorName::kInternal, "device removed"));
  EXPECT_EQ(client.log_detail, "Encrypt: device removed");
}

TEST(BackendErrorsTest, HsmFailureCarriesTheTableMessage) {
  const Error e = HsmFailure(ErrorName::kKeyNotFound, "C_FindObjects: nothing");
  EXPECT_EQ(e.name, ErrorName::kKeyNotFound);
  EXPECT_EQ(e.message, kNotFound);
  EXPECT_EQ(e.log_detail, "C_FindObjects: nothing");
  EXPECT_EQ(HsmFailureMessage(ErrorName::kValidation), "The HSM refused the request parameters.");
  EXPECT_EQ(HsmFailureMessage(ErrorName::kInternal), kFailed);
}

}  // namespace
}  // namespace xks::api
