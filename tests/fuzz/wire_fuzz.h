#pragma once
// The body stage of one XKS operation as proxy/api runs it after authentication: one strict JSON
// object (ParseJsonBody), its requestMetadata (ValidateRequestMetadata), then the operation's own
// input decoding. Shared by the four wire_<operation> targets. Properties: every refusal is a
// client error (400 or 501) naming no value, and decoded sizes stay within the limits.

#include "proxy/api/wire.h"
#include "tests/fuzz/fuzz_support.h"

namespace xks::fuzz {

inline void CheckClientError(const Error& error) {
  const int status = HttpStatus(error.name);
  XKS_FUZZ_CHECK(status == 400 || status == 501);
}

inline void FuzzWireBody(api::Operation op, const std::uint8_t* data, std::size_t size) {
  const api::RequestLimits limits;
  auto body = api::ParseJsonBody(AsText(data, size));
  if (!body.ok()) return CheckClientError(body.error());
  XKS_FUZZ_CHECK(body->is_object());
  if (auto metadata = api::ValidateRequestMetadata(*body, op, limits); !metadata.ok()) {
    return CheckClientError(metadata.error());
  }
  if (op == api::Operation::kEncrypt) {
    auto input = api::ParseEncryptInput(*body, limits);
    if (!input.ok()) return CheckClientError(input.error());
    XKS_FUZZ_CHECK(input->plaintext.size() <= limits.max_plaintext_bytes);
    XKS_FUZZ_CHECK(input->aad.size() <= limits.max_aad_bytes);
  } else if (op == api::Operation::kDecrypt) {
    auto input = api::ParseDecryptInput(*body, limits);
    if (!input.ok()) return CheckClientError(input.error());
    XKS_FUZZ_CHECK(input->ciphertext.size() <= limits.max_ciphertext_bytes);
    XKS_FUZZ_CHECK(input->iv.size() == 12 || input->iv.size() == 16);
    XKS_FUZZ_CHECK(input->tag.size() == 16 && input->metadata.size() <= 20);
  }
}

}  // namespace xks::fuzz
