#pragma once
// OpenSSL on the "customer's side" of tests: what happens outside the HSM (wrapping key material
// for import, checking the HSM's AES-GCM output under a known key).

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/openssl.h"  // EvpPkeyPtr

namespace xks::testing {

/// An RSA public key from big-endian modulus and public exponent; nullptr on failure.
EvpPkeyPtr RsaPublicKey(const std::vector<std::uint8_t>& modulus,
                        const std::vector<std::uint8_t>& public_exponent);

/// RSAES-OAEP of `plain` under `key` with `md` for OAEP and MGF1 and an empty label (what
/// `openssl pkeyutl -pkeyopt rsa_padding_mode:oaep ...` does); empty on failure.
std::vector<std::uint8_t> WrapRsaOaep(EVP_PKEY* key, const std::vector<std::uint8_t>& plain,
                                      const EVP_MD* md);

struct OpenSslSealed {
  std::vector<std::uint8_t> ciphertext;
  std::array<std::uint8_t, 16> tag{};
};

/// AES-256-GCM with a 16-byte tag; nullopt on failure (e.g. a key that is not 32 bytes).
std::optional<OpenSslSealed> AesGcmSeal(const std::vector<std::uint8_t>& key,
                                        const std::vector<std::uint8_t>& iv,
                                        const std::vector<std::uint8_t>& plaintext,
                                        const std::vector<std::uint8_t>& aad);

/// The plaintext, or nullopt when the tag does not verify (or on failure).
std::optional<std::vector<std::uint8_t>> AesGcmOpen(const std::vector<std::uint8_t>& key,
                                                    const std::vector<std::uint8_t>& iv,
                                                    const std::vector<std::uint8_t>& ciphertext,
                                                    const std::vector<std::uint8_t>& tag,
                                                    const std::vector<std::uint8_t>& aad);

}  // namespace xks::testing
