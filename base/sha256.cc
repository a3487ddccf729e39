#include "base/sha256.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>

#include "base/bytes.h"
#include "base/hex.h"
#include "base/openssl.h"

namespace xks {
namespace {

[[noreturn]] void CryptoAbort(const char* what) {
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

// An HMAC context with the digest already set; each call duplicates it, so the digest name is not
// resolved per call. The template holds no key, so sharing it read-only across threads is safe.
const EVP_MAC_CTX* HmacSha256Template() {
  static const EvpMacCtxPtr tmpl = [] {
    EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) CryptoAbort("EVP_MAC_fetch(HMAC)");
    EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) CryptoAbort("EVP_MAC_CTX_new");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) CryptoAbort("EVP_MAC_CTX_set_params");
    return ctx;
  }();
  return tmpl.get();
}

}  // namespace

const EVP_MD* Sha256Md() {
  static const EvpMdPtr md = [] {
    EvpMdPtr m(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!m) CryptoAbort("EVP_MD_fetch(SHA256)");
    return m;
  }();
  return md.get();
}

Sha256Digest Sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, Sha256Md(), nullptr) != 1 ||
      len != out.size()) {
    CryptoAbort("EVP_Digest(SHA256)");
  }
  return out;
}

Sha256Digest Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

Sha256Digest Sha256(std::initializer_list<std::span<const std::uint8_t>> parts) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), Sha256Md(), nullptr) != 1) {
    CryptoAbort("EVP_DigestInit_ex(SHA256)");
  }
  for (auto part : parts) {
    if (!part.empty() && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) {
      CryptoAbort("EVP_DigestUpdate(SHA256)");
    }
  }
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    CryptoAbort("EVP_DigestFinal_ex(SHA256)");
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

Sha256Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view data) {
  // HMAC pads short keys with zero bytes, so an empty key and the single byte 0x00 are the same
  // key; passing one byte avoids OpenSSL's "NULL key means keep the previous key" convention.
  static constexpr std::uint8_t kZeroKey[1] = {0};
  if (key.empty()) key = std::span<const std::uint8_t>(kZeroKey, 1);
  EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(HmacSha256Template()));
  if (!ctx) CryptoAbort("EVP_MAC_CTX_dup");
  Sha256Digest out{};
  std::size_t len = 0;
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    CryptoAbort("HMAC-SHA256");
  }
  return out;
}

}  // namespace xks
