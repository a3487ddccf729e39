#include "tests/support/openssl_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

namespace xks::testing {
namespace {

int Len(std::size_t n) { return static_cast<int>(n); }

// A GCM context keyed for `encrypt` with `iv` of any length, the AAD already fed.
EvpCipherCtxPtr GcmContext(bool encrypt, const std::vector<std::uint8_t>& key,
                           const std::vector<std::uint8_t>& iv,
                           const std::vector<std::uint8_t>& aad) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || key.size() != 32 ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, Len(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), encrypt) != 1 ||
      (!aad.empty() &&
       EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data(), Len(aad.size())) != 1)) {
    return nullptr;
  }
  return ctx;
}

}  // namespace

EvpPkeyPtr RsaPublicKey(const std::vector<std::uint8_t>& modulus,
                        const std::vector<std::uint8_t>& public_exponent) {
  BignumPtr n(BN_bin2bn(modulus.data(), Len(modulus.size()), nullptr));
  BignumPtr e(BN_bin2bn(public_exponent.data(), Len(public_exponent.size()), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return nullptr;
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(raw);
}

std::vector<std::uint8_t> WrapRsaOaep(EVP_PKEY* key, const std::vector<std::uint8_t>& plain,
                                      const EVP_MD* md) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    return {};
  }
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, plain.data(), plain.size()) != 1) return {};
  std::vector<std::uint8_t> out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, plain.data(), plain.size()) != 1) return {};
  out.resize(len);
  return out;
}

std::optional<OpenSslSealed> AesGcmSeal(const std::vector<std::uint8_t>& key,
                                        const std::vector<std::uint8_t>& iv,
                                        const std::vector<std::uint8_t>& plaintext,
                                        const std::vector<std::uint8_t>& aad) {
  EvpCipherCtxPtr ctx = GcmContext(true, key, iv, aad);
  if (!ctx) return std::nullopt;
  OpenSslSealed out;
  out.ciphertext.resize(plaintext.size() + 16);
  int len = 0, total = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &len, plaintext.data(),
                          Len(plaintext.size())) != 1) {
      return std::nullopt;
    }
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.tag.data()) != 1) {
    return std::nullopt;
  }
  out.ciphertext.resize(static_cast<std::size_t>(total + len));
  return out;
}

std::optional<std::vector<std::uint8_t>> AesGcmOpen(const std::vector<std::uint8_t>& key,
                                                    const std::vector<std::uint8_t>& iv,
                                                    const std::vector<std::uint8_t>& ciphertext,
                                                    const std::vector<std::uint8_t>& tag,
                                                    const std::vector<std::uint8_t>& aad) {
  EvpCipherCtxPtr ctx = GcmContext(false, key, iv, aad);
  if (!ctx || tag.size() != 16) return std::nullopt;
  std::vector<std::uint8_t> plain(ciphertext.size() + 16);
  int len = 0, total = 0;
  if (!ciphertext.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), plain.data(), &len, ciphertext.data(),
                          Len(ciphertext.size())) != 1) {
      return std::nullopt;
    }
    total = len;
  }
  std::vector<std::uint8_t> tag_copy = tag;  // the ctrl takes a non-const pointer
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag_copy.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + total, &len) != 1) {
    return std::nullopt;
  }
  plain.resize(static_cast<std::size_t>(total + len));
  return plain;
}

}  // namespace xks::testing
