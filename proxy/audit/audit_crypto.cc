#include "proxy/audit/audit_crypto.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace xks::audit {

std::vector<std::uint8_t> PublicKeyDer(EVP_PKEY* key) {
  unsigned char* raw = nullptr;
  const int len = i2d_PUBKEY(key, &raw);
  const OpenSslMemoryPtr<unsigned char> der(raw);
  if (len <= 0) return {};
  return std::vector<std::uint8_t>(der.get(), der.get() + len);
}

std::string PublicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  return BioContents(bio.get());
}

std::string KeyIdFromPublicKeyDer(std::span<const std::uint8_t> spki_der) {
  const Sha256Digest d = Sha256(spki_der);
  return HexEncode(std::span<const std::uint8_t>(d.data(), 16));
}

}  // namespace xks::audit
