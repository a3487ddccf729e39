#include "proxy/runtime/hsm_key_backend.h"

#include <gtest/gtest.h>

#include <set>

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
  EXPECT_EQ(seen.size(), 7u) << "a new HsmErrorKind needs a row here and in MapHsmError";
}

}  // namespace
}  // namespace xks::runtime
