#include "proxy/runtime/hsm_key_backend.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "proxy/api/backend_errors.h"

namespace xks::runtime {
namespace {

using pkcs11::HsmError;
using pkcs11::HsmErrorKind;

TEST(MapHsmErrorTest, EveryKindHasOneErrorNameAndKeepsDetailsOutOfTheMessage) {
  const std::pair<HsmErrorKind, ErrorName> table[] = {
      {HsmErrorKind::kNotFound, ErrorName::kKeyNotFound},
      {HsmErrorKind::kBadCiphertext, ErrorName::kInvalidCiphertext},
      {HsmErrorKind::kKeyUsageNotPermitted, ErrorName::kInvalidKeyUsage},
      {HsmErrorKind::kUnavailable, ErrorName::kInternal},
      {HsmErrorKind::kTimeout, ErrorName::kDependencyTimeout},
      {HsmErrorKind::kBusy, ErrorName::kThrottling},
      {HsmErrorKind::kInvalidArgument, ErrorName::kValidation},
      {HsmErrorKind::kInternal, ErrorName::kInternal},
  };
  std::set<HsmErrorKind> seen;
  for (const auto& [kind, name] : table) {
    // 0x30 is CKR_DEVICE_ERROR; the CK_RV and the module's words belong in the log only.
    const HsmError error{kind, "module said: slot 3 exploded", 0x30, "C_Encrypt"};
    const Error mapped = MapHsmError(error);
    EXPECT_EQ(mapped.name, name) << pkcs11::HsmErrorKindName(kind);
    EXPECT_EQ(mapped.message.find("slot 3"), std::string::npos);
    EXPECT_EQ(mapped.message.find("C_Encrypt"), std::string::npos);
    EXPECT_NE(mapped.log_detail.find("C_Encrypt"), std::string::npos);
    seen.insert(kind);
  }
  EXPECT_EQ(seen.size(), 8u) << "a new HsmErrorKind needs a row here and in MapHsmError";
}

// End to end over the one table: what the client finally sees for every HsmErrorKind in every
// backend call (MapHsmError, then api::ClientErrorForBackendFailure as XksService applies it).
TEST(MapHsmErrorTest, EveryKindReachesTheClientAsOneNameMessageAndStatus) {
  constexpr std::string_view kFailed = "The HSM could not perform the operation.";
  struct Row {
    HsmErrorKind kind;
    ErrorName name;  ///< for Describe, Encrypt and Decrypt, except Decrypt's own below
    std::string_view message;
    int status;
  };
  const Row rows[] = {
      {HsmErrorKind::kNotFound, ErrorName::kKeyNotFound,
       "The external key was not found in the HSM.", 404},
      {HsmErrorKind::kBadCiphertext, ErrorName::kInternal, kFailed, 500},
      {HsmErrorKind::kKeyUsageNotPermitted, ErrorName::kInvalidKeyUsage,
       "The external key does not support the requested operation.", 400},
      {HsmErrorKind::kUnavailable, ErrorName::kInternal, kFailed, 500},
      {HsmErrorKind::kTimeout, ErrorName::kDependencyTimeout,
       "The HSM did not answer within the time budget.", 503},
      // Out of HSM sessions (CKR_SESSION_COUNT): back-pressure, like a full queue.
      {HsmErrorKind::kBusy, ErrorName::kThrottling, "The HSM is busy; retry later.", 429},
      {HsmErrorKind::kInvalidArgument, ErrorName::kInternal, kFailed, 500},
      {HsmErrorKind::kInternal, ErrorName::kInternal, kFailed, 500},
  };
  std::set<HsmErrorKind> seen;
  for (const Row& row : rows) {
    const HsmError error{row.kind, "module said: slot 3 exploded", 0x30, "C_Encrypt"};
    const Error backend = MapHsmError(error);
    for (api::BackendCall call :
         {api::BackendCall::kDescribe, api::BackendCall::kEncrypt, api::BackendCall::kDecrypt}) {
      const Error client = api::ClientErrorForBackendFailure(call, backend);
      const bool decrypt_blames_ciphertext =
          call == api::BackendCall::kDecrypt && row.kind == HsmErrorKind::kBadCiphertext;
      SCOPED_TRACE(std::string(pkcs11::HsmErrorKindName(row.kind)) + " in " +
                   std::string(api::BackendCallName(call)));
      EXPECT_EQ(client.name, decrypt_blames_ciphertext ? ErrorName::kInvalidCiphertext : row.name);
      EXPECT_EQ(client.message,
                decrypt_blames_ciphertext ? api::kInvalidCiphertextMessage : row.message);
      EXPECT_EQ(HttpStatus(client.name), decrypt_blames_ciphertext ? 400 : row.status);
      EXPECT_NE(client.log_detail.find("C_Encrypt"), std::string::npos);
      EXPECT_NE(client.log_detail.find(pkcs11::HsmErrorKindName(row.kind)), std::string::npos)
          << "the kind tells Unavailable from Internal in the log";
      EXPECT_EQ(client.message.find("slot 3"), std::string::npos);
    }
    seen.insert(row.kind);
  }
  EXPECT_EQ(seen.size(), 8u) << "a new HsmErrorKind needs a row here and in ErrorNameForHsmKind";
}

}  // namespace
}  // namespace xks::runtime
