#pragma once
// Request bodies of the four operations: strict parsing and validation against the XKS spec
// (sections GetKeyMetadata, Encrypt, Decrypt, GetHealthStatus). Unknown fields and unknown
// kmsOperation values are accepted; kmsRequestId is opaque. Error messages name the field, never
// its value. Thread-safe, never throws.
//
// Size policy: where the spec fixes a size (IV 12/16, tag 16, ciphertextMetadata <= 20) a violation
// is 400 ValidationException; where the spec sets a minimum an implementation must support
// (plaintext/ciphertext 4300, AAD 8192, ARN 2048 characters), a value beyond our configured limit
// is 501 UnsupportedOperationException, as the spec's error table prescribes.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "proxy/api/router.h"
#include "proxy/common/error.h"

namespace xks::api {

struct RequestLimits {
  std::size_t max_plaintext_bytes = 4300;
  std::size_t max_ciphertext_bytes = 4300;
  std::size_t max_aad_bytes = 8192;
  std::size_t max_arn_chars = 2048;
};

/// Deepest JSON nesting accepted; XKS bodies need 2, unknown future fields get some room.
inline constexpr int kMaxJsonDepth = 32;

/// Parses a body that must be one JSON object (RFC 8259, UTF-8) and nothing else: no bytes after
/// it (a NUL byte anywhere is refused), no object with a repeated key at any depth, nesting at
/// most kMaxJsonDepth. Errors: kValidation (never names a value).
ProxyResult<nlohmann::json> ParseJsonBody(std::string_view body);

/// Checks body.requestMetadata for `op`: an object whose required fields (per operation) are
/// strings, optional known fields strings when present, ARNs within limits.
/// Errors: kValidation, kUnsupportedOperation (ARN longer than max_arn_chars).
ProxyResult<void> ValidateRequestMetadata(const nlohmann::json& body, Operation op,
                                          const RequestLimits& limits);

/// Encrypt input, decoded.
struct EncryptInput {
  SecretBytes plaintext;
  SecretBytes aad;  ///< empty when absent (the HSM AAD then records length 0)
  bool cdiv_requested = false;
};
/// Errors: kValidation, kUnsupportedOperation (plaintext or AAD beyond the configured limit).
ProxyResult<EncryptInput> ParseEncryptInput(const nlohmann::json& body,
                                            const RequestLimits& limits);

/// Decrypt input, decoded.
struct DecryptInput {
  std::vector<std::uint8_t> ciphertext;
  std::vector<std::uint8_t> iv;
  std::vector<std::uint8_t> tag;
  std::vector<std::uint8_t> metadata;  ///< empty when absent
  SecretBytes aad;
};
/// Errors: kValidation, kUnsupportedOperation (ciphertext or AAD beyond the configured limit).
ProxyResult<DecryptInput> ParseDecryptInput(const nlohmann::json& body,
                                            const RequestLimits& limits);

/// Zeroes, in place, the top-level "plaintext" and "additionalAuthenticatedData" strings of a
/// parsed request body, once the request is done with them (docs/operations.md, "Security").
/// Other fields and non-string values are left alone.
void WipeSecretFields(nlohmann::json& body);

}  // namespace xks::api
