#pragma once
// Our ciphertextMetadata format (XKS spec, Encrypt: up to 20 vendor bytes, covered by the GCM tag
// through the HSM AAD). Documented byte by byte in docs/ciphertext-metadata.md.
//
// Version 1 is 11 bytes:
//   [0]      format version, 0x01 (also says: HSM AAD built with the length prefixes of spec 1.0)
//   [1..2]   key version, big-endian, 1..65535 (which TenantKey version encrypted)
//   [3..10]  tenant binding: SHA-256("xks-hsm-proxy/ciphertextMetadata/v1/tenant" || 0x00 ||
//            tenant name), first 8 bytes
// The binding makes ciphertext produced for one tenant fail to decrypt for another even when both
// tokens hold the same key material: Decrypt refuses a foreign binding, and a rewritten binding no
// longer matches the tag.
//
// Thread-safe, never throws.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace xks::api {

inline constexpr std::uint8_t kCiphertextMetadataV1 = 0x01;
inline constexpr std::size_t kCiphertextMetadataV1Size = 11;
inline constexpr std::size_t kTenantBindingSize = 8;
using TenantBinding = std::array<std::uint8_t, kTenantBindingSize>;

/// The 8-byte binding of a tenant name (see above).
TenantBinding ComputeTenantBinding(std::string_view tenant_name);

struct CiphertextMetadata {
  std::uint16_t key_version = 1;
  TenantBinding tenant_binding{};
};

/// Serializes in format version 1 (11 bytes).
std::vector<std::uint8_t> EncodeCiphertextMetadata(const CiphertextMetadata& metadata);

/// Parses any supported format version. nullopt for an unknown version, a wrong length or key
/// version 0; the caller answers InvalidCiphertextException.
std::optional<CiphertextMetadata> DecodeCiphertextMetadata(std::span<const std::uint8_t> bytes);

}  // namespace xks::api
