#include "pkcs11/key_admin.h"

#include <array>

namespace xks::pkcs11 {
namespace {

constexpr std::array<std::uint8_t, 10> kP256Oid = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                                   0xce, 0x3d, 0x03, 0x01, 0x07};

void* Ptr(std::span<const std::uint8_t> s) {
  // Templates are read-only for C_GenerateKey/C_CreateObject; the API just is not const-correct.
  return const_cast<std::uint8_t*>(s.data());
}

struct AesTemplate {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ULONG len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_BBOOL enc, dec, wrap, unwrap;
  std::vector<CK_ATTRIBUTE> attrs;

  explicit AesTemplate(const AesKeySpec& spec)
      : enc(spec.encrypt ? CK_TRUE : CK_FALSE),
        dec(spec.decrypt ? CK_TRUE : CK_FALSE),
        wrap(spec.wrap ? CK_TRUE : CK_FALSE),
        unwrap(spec.unwrap ? CK_TRUE : CK_FALSE) {
    attrs = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_ENCRYPT, &enc, sizeof enc},
        {CKA_DECRYPT, &dec, sizeof dec},
        {CKA_WRAP, &wrap, sizeof wrap},
        {CKA_UNWRAP, &unwrap, sizeof unwrap},
        {CKA_SIGN, &no, sizeof no},
        {CKA_VERIFY, &no, sizeof no},
        {CKA_DERIVE, &no, sizeof no},
        {CKA_LABEL, const_cast<char*>(spec.label.data()), spec.label.size()},
        {CKA_ID, Ptr(spec.id), spec.id.size()},
    };
  }
};

// C_GenerateKeyPair with `mechanism` (no parameters); returns {public, private}.
HsmResult<std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>> GenerateKeyPair(
    Module& module, CK_SESSION_HANDLE session, CK_MECHANISM_TYPE mechanism_type,
    std::span<CK_ATTRIBUTE> pub, std::span<CK_ATTRIBUTE> priv) {
  CK_MECHANISM mechanism{mechanism_type, nullptr, 0};
  CK_OBJECT_HANDLE pub_key = CK_INVALID_HANDLE, priv_key = CK_INVALID_HANDLE;
  auto r = XKS_CK(module, C_GenerateKeyPair, session, &mechanism, pub.data(), pub.size(),
                  priv.data(), priv.size(), &pub_key, &priv_key);
  if (!r.ok()) return Fail(std::move(r).error());
  return std::make_pair(pub_key, priv_key);
}

}  // namespace

std::span<const std::uint8_t> P256EcParams() { return kP256Oid; }

HsmResult<CK_OBJECT_HANDLE> GenerateAesKey(Module& module, CK_SESSION_HANDLE session,
                                           const AesKeySpec& spec) {
  AesTemplate t(spec);
  t.attrs.push_back({CKA_VALUE_LEN, &t.len, sizeof t.len});
  CK_MECHANISM mechanism{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  auto r = XKS_CK(module, C_GenerateKey, session, &mechanism, t.attrs.data(), t.attrs.size(), &key);
  if (!r.ok()) return Fail(std::move(r).error());
  return key;
}

HsmResult<CK_OBJECT_HANDLE> ImportAesKey(Module& module, CK_SESSION_HANDLE session,
                                         const AesKeySpec& spec, const SecretBytes& value) {
  if (value.size() != 32) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "AES-256 key must be 32 bytes"));
  }
  AesTemplate t(spec);
  t.attrs.push_back({CKA_VALUE, Ptr(value.span()), value.size()});
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  auto r = XKS_CK(module, C_CreateObject, session, t.attrs.data(), t.attrs.size(), &key);
  if (!r.ok()) return Fail(std::move(r).error());
  return key;
}

HsmResult<std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>> GenerateEcP256(
    Module& module, CK_SESSION_HANDLE session, std::span<const std::uint8_t> label,
    std::span<const std::uint8_t> id) {
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_KEY_TYPE type = CKK_EC;
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, priv_class = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE pub[] = {
      {CKA_CLASS, &pub_class, sizeof pub_class},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_VERIFY, &yes, sizeof yes},
      {CKA_ENCRYPT, &no, sizeof no},
      {CKA_WRAP, &no, sizeof no},
      {CKA_EC_PARAMS, Ptr(kP256Oid), kP256Oid.size()},
      {CKA_LABEL, Ptr(label), label.size()},
      {CKA_ID, Ptr(id), id.size()},
  };
  CK_ATTRIBUTE priv[] = {
      {CKA_CLASS, &priv_class, sizeof priv_class},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_SIGN, &yes, sizeof yes},
      {CKA_DECRYPT, &no, sizeof no},
      {CKA_UNWRAP, &no, sizeof no},
      {CKA_DERIVE, &no, sizeof no},
      {CKA_LABEL, Ptr(label), label.size()},
      {CKA_ID, Ptr(id), id.size()},
  };
  return GenerateKeyPair(module, session, CKM_EC_KEY_PAIR_GEN, pub, priv);
}

HsmResult<std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>> GenerateRsaWrappingPair(
    Module& module, CK_SESSION_HANDLE session, std::span<const std::uint8_t> label,
    std::span<const std::uint8_t> id, CK_ULONG bits) {
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_KEY_TYPE type = CKK_RSA;
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, priv_class = CKO_PRIVATE_KEY;
  std::array<std::uint8_t, 3> exponent = {0x01, 0x00, 0x01};
  CK_ATTRIBUTE pub[] = {
      {CKA_CLASS, &pub_class, sizeof pub_class},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_WRAP, &yes, sizeof yes},
      {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_VERIFY, &no, sizeof no},
      {CKA_MODULUS_BITS, &bits, sizeof bits},
      {CKA_PUBLIC_EXPONENT, exponent.data(), exponent.size()},
      {CKA_LABEL, Ptr(label), label.size()},
      {CKA_ID, Ptr(id), id.size()},
  };
  CK_ATTRIBUTE priv[] = {
      {CKA_CLASS, &priv_class, sizeof priv_class},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_UNWRAP, &yes, sizeof yes},
      {CKA_DECRYPT, &no, sizeof no},
      {CKA_SIGN, &no, sizeof no},
      {CKA_DERIVE, &no, sizeof no},
      {CKA_LABEL, Ptr(label), label.size()},
      {CKA_ID, Ptr(id), id.size()},
  };
  return GenerateKeyPair(module, session, CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv);
}

HsmResult<CK_OBJECT_HANDLE> UnwrapAesKeyOaep(Module& module, CK_SESSION_HANDLE session,
                                             CK_OBJECT_HANDLE unwrapping_key,
                                             std::span<const std::uint8_t> wrapped,
                                             const AesKeySpec& spec, OaepHash hash) {
  AesTemplate t(spec);
  // No CKA_VALUE_LEN in the template: the length comes from the material (SoftHSM refuses it
  // with CKR_ATTRIBUTE_READ_ONLY); the caller checks it afterwards.
  const bool sha1 = hash == OaepHash::kSha1;
  CK_RSA_PKCS_OAEP_PARAMS params{sha1 ? CKM_SHA_1 : CKM_SHA256,
                                 sha1 ? CKG_MGF1_SHA1 : CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED,
                                 nullptr, 0};
  CK_MECHANISM mechanism{CKM_RSA_PKCS_OAEP, &params, sizeof params};
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  auto r = XKS_CK(module, C_UnwrapKey, session, &mechanism, unwrapping_key,
                  const_cast<std::uint8_t*>(wrapped.data()), wrapped.size(), t.attrs.data(),
                  t.attrs.size(), &key);
  if (!r.ok()) return Fail(std::move(r).error());
  return key;
}

HsmResult<std::vector<std::uint8_t>> SignEcdsaRaw(Module& module, CK_SESSION_HANDLE session,
                                                  CK_OBJECT_HANDLE key,
                                                  std::span<const std::uint8_t> digest,
                                                  bool& session_dirty) {
  session_dirty = false;
  if (digest.empty() || digest.size() > 64) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "digest must be 1-64 bytes"));
  }
  CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
  std::vector<std::uint8_t> signature(132);  // r||s for curves up to P-521
  CK_ULONG len = signature.size();
  if (auto r = XKS_CK(module, C_SignInit, session, &mechanism, key); !r.ok()) {
    return Fail(std::move(r).error());
  }
  session_dirty = true;
  auto r = XKS_CK(module, C_Sign, session, const_cast<std::uint8_t*>(digest.data()), digest.size(),
                  signature.data(), &len);
  session_dirty = !r.ok();  // see GcmEncrypt
  if (!r.ok()) return Fail(std::move(r).error());
  signature.resize(len);
  return signature;
}

}  // namespace xks::pkcs11
