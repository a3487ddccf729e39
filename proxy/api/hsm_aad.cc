#include "proxy/api/hsm_aad.h"

#include <cstring>

#include "base/base64.h"
#include "base/sha256.h"

namespace xks::api {

SecretBytes BuildHsmAad(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> metadata) {
  SecretBytes out(2 + aad.size() + 1 + metadata.size());
  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>((aad.size() >> 8) & 0xFF);
  p[1] = static_cast<std::uint8_t>(aad.size() & 0xFF);
  if (!aad.empty()) std::memcpy(p + 2, aad.data(), aad.size());
  p[2 + aad.size()] = static_cast<std::uint8_t>(metadata.size() & 0xFF);
  if (!metadata.empty()) std::memcpy(p + 3 + aad.size(), metadata.data(), metadata.size());
  return out;
}

std::string ComputeCdivSha256(std::span<const std::uint8_t> aad,
                              std::span<const std::uint8_t> metadata,
                              std::span<const std::uint8_t> iv,
                              std::span<const std::uint8_t> ciphertext,
                              std::span<const std::uint8_t> tag) {
  // No length framing: the spec computes the CDIV over the plain concatenation (it guards against
  // bit flips, not adversaries), so neither do we.
  const Sha256Digest digest = Sha256({aad, metadata, iv, ciphertext, tag});
  return Base64Encode(digest);
}

}  // namespace xks::api
