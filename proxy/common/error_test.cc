#include "proxy/common/error.h"

#include <gtest/gtest.h>

#include <set>

namespace xks {
namespace {

TEST(ErrorNameTest, EveryNameHasTheSpecStatusAndSpelling) {
  const std::pair<ErrorName, std::pair<const char*, int>> table[] = {
      {ErrorName::kValidation, {"ValidationException", 400}},
      {ErrorName::kInvalidState, {"InvalidStateException", 400}},
      {ErrorName::kInvalidCiphertext, {"InvalidCiphertextException", 400}},
      {ErrorName::kInvalidKeyUsage, {"InvalidKeyUsageException", 400}},
      {ErrorName::kAuthenticationFailed, {"AuthenticationFailedException", 401}},
      {ErrorName::kAccessDenied, {"AccessDeniedException", 403}},
      {ErrorName::kKeyNotFound, {"KeyNotFoundException", 404}},
      {ErrorName::kInvalidUriPath, {"InvalidUriPathException", 404}},
      {ErrorName::kThrottling, {"ThrottlingException", 429}},
      {ErrorName::kUnsupportedOperation, {"UnsupportedOperationException", 501}},
      {ErrorName::kDependencyTimeout, {"DependencyTimeoutException", 503}},
      {ErrorName::kInternal, {"InternalException", 500}},
  };
  std::set<std::string_view> spellings;
  for (const auto& [name, expected] : table) {
    EXPECT_EQ(ErrorNameString(name), expected.first);
    EXPECT_EQ(HttpStatus(name), expected.second);
    spellings.insert(ErrorNameString(name));
  }
  EXPECT_EQ(spellings.size(), 12u);
}

}  // namespace
}  // namespace xks
