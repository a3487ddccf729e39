#include "proxy/api/ciphertext_metadata.h"

#include <cstring>

#include "base/sha256.h"

namespace xks::api {
namespace {
// Domain separation: these 8 bytes can never collide with a SHA-256 computed for another purpose
// over the same tenant name.
constexpr std::string_view kBindingDomain = "xks-hsm-proxy/ciphertextMetadata/v1/tenant";
}  // namespace

TenantBinding ComputeTenantBinding(std::string_view tenant_name) {
  const std::uint8_t zero = 0;
  const Sha256Digest digest =
      Sha256({{reinterpret_cast<const std::uint8_t*>(kBindingDomain.data()), kBindingDomain.size()},
              {&zero, 1},
              {reinterpret_cast<const std::uint8_t*>(tenant_name.data()), tenant_name.size()}});
  TenantBinding binding{};
  std::memcpy(binding.data(), digest.data(), binding.size());
  return binding;
}

std::vector<std::uint8_t> EncodeCiphertextMetadata(const CiphertextMetadata& metadata) {
  std::vector<std::uint8_t> out;
  out.reserve(kCiphertextMetadataV1Size);
  out.push_back(kCiphertextMetadataV1);
  out.push_back(static_cast<std::uint8_t>(metadata.key_version >> 8));
  out.push_back(static_cast<std::uint8_t>(metadata.key_version & 0xFF));
  out.insert(out.end(), metadata.tenant_binding.begin(), metadata.tenant_binding.end());
  return out;
}

std::optional<CiphertextMetadata> DecodeCiphertextMetadata(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || bytes[0] != kCiphertextMetadataV1) return std::nullopt;
  if (bytes.size() != kCiphertextMetadataV1Size) return std::nullopt;
  CiphertextMetadata m;
  m.key_version = static_cast<std::uint16_t>((bytes[1] << 8) | bytes[2]);
  if (m.key_version == 0) return std::nullopt;
  std::memcpy(m.tenant_binding.data(), bytes.data() + 3, kTenantBindingSize);
  return m;
}

}  // namespace xks::api
