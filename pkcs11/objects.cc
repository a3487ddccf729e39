#include "pkcs11/objects.h"

#include <array>
#include <string>

namespace xks::pkcs11 {
namespace {

KeyClass ToKeyClass(CK_OBJECT_CLASS c) {
  switch (c) {
    case CKO_SECRET_KEY:
      return KeyClass::kSecret;
    case CKO_PRIVATE_KEY:
      return KeyClass::kPrivate;
    case CKO_PUBLIC_KEY:
      return KeyClass::kPublic;
    default:
      return KeyClass::kOther;
  }
}

KeyType ToKeyType(CK_KEY_TYPE t) {
  switch (t) {
    case CKK_AES:
      return KeyType::kAes;
    case CKK_EC:
      return KeyType::kEc;
    case CKK_RSA:
      return KeyType::kRsa;
    case CKK_GENERIC_SECRET:
      return KeyType::kGenericSecret;
    default:
      return KeyType::kOther;
  }
}

}  // namespace

HsmResult<std::vector<CK_OBJECT_HANDLE>> FindTokenObjects(
    Module& module, CK_SESSION_HANDLE session, const ObjectSelector& selector,
    std::optional<CK_OBJECT_CLASS> object_class) {
  CK_BBOOL on_token = CK_TRUE;
  CK_OBJECT_CLASS cls = object_class.value_or(0);
  std::string label = selector.label.value_or("");
  std::vector<std::uint8_t> id = selector.id.value_or(std::vector<std::uint8_t>{});
  std::vector<CK_ATTRIBUTE> tmpl{{CKA_TOKEN, &on_token, sizeof on_token}};
  if (object_class) tmpl.push_back({CKA_CLASS, &cls, sizeof cls});
  if (selector.label) tmpl.push_back({CKA_LABEL, label.data(), label.size()});
  if (selector.id) tmpl.push_back({CKA_ID, id.data(), id.size()});

  if (auto r = XKS_CK(module, C_FindObjectsInit, session, tmpl.data(), tmpl.size()); !r.ok()) {
    return Fail(std::move(r).error());
  }
  std::vector<CK_OBJECT_HANDLE> out;
  std::array<CK_OBJECT_HANDLE, 64> batch{};
  HsmResult<void> status;
  for (;;) {
    CK_ULONG got = 0;
    status = XKS_CK(module, C_FindObjects, session, batch.data(), batch.size(), &got);
    if (!status.ok() || got == 0) break;
    out.insert(out.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(got));
  }
  auto final_status = XKS_CK(module, C_FindObjectsFinal, session);
  if (!status.ok()) return Fail(std::move(status).error());
  if (!final_status.ok()) return Fail(std::move(final_status).error());
  return out;
}

HsmResult<CK_OBJECT_HANDLE> FindOneKey(Module& module, CK_SESSION_HANDLE session,
                                       const ObjectSelector& selector,
                                       CK_OBJECT_CLASS object_class) {
  auto found = FindTokenObjects(module, session, selector, object_class);
  if (!found.ok()) return Fail(std::move(found).error());
  if (found->empty()) return Fail(MakeHsmError(HsmErrorKind::kNotFound, "no such key"));
  if (found->size() > 1) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "more than one key has this label"));
  }
  return found->front();
}

HsmResult<std::vector<std::uint8_t>> ReadBytesAttribute(Module& module, CK_SESSION_HANDLE session,
                                                        CK_OBJECT_HANDLE object,
                                                        CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE attr{type, nullptr, 0};
  if (auto r = XKS_CK(module, C_GetAttributeValue, session, object, &attr, 1); !r.ok()) {
    return Fail(std::move(r).error());
  }
  if (attr.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return Fail(MakeHsmError(HsmErrorKind::kKeyUsageNotPermitted, "attribute not readable"));
  }
  std::vector<std::uint8_t> value(attr.ulValueLen);
  attr.pValue = value.data();
  if (auto r = XKS_CK(module, C_GetAttributeValue, session, object, &attr, 1); !r.ok()) {
    return Fail(std::move(r).error());
  }
  value.resize(attr.ulValueLen);
  return value;
}

HsmResult<KeyInfo> DescribeObject(Module& module, CK_SESSION_HANDLE session,
                                  CK_OBJECT_HANDLE object) {
  CK_OBJECT_CLASS cls = 0;
  CK_KEY_TYPE type = 0;
  std::array<CK_ATTRIBUTE, 2> head{
      {{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &type, sizeof type}}};
  if (auto r = XKS_CK(module, C_GetAttributeValue, session, object, head.data(), head.size());
      !r.ok()) {
    return Fail(std::move(r).error());
  }
  KeyInfo info;
  info.key_class = ToKeyClass(cls);
  info.key_type = ToKeyType(type);

  auto label = ReadBytesAttribute(module, session, object, CKA_LABEL);
  if (label.ok()) info.label.assign(label->begin(), label->end());
  auto id = ReadBytesAttribute(module, session, object, CKA_ID);
  if (id.ok()) info.id = std::move(id).value();

  // Ask only for attributes the class defines, so a conforming module answers CKR_OK.
  CK_BBOOL enc = 0, dec = 0, wrap = 0, unwrap = 0, sign = 0, verify = 0, derive = 0;
  CK_BBOOL sensitive = 0, extractable = 0;
  CK_ULONG value_len = 0;
  std::vector<CK_ATTRIBUTE> tmpl{{CKA_DERIVE, &derive, sizeof derive}};
  if (cls == CKO_SECRET_KEY || cls == CKO_PUBLIC_KEY) {
    tmpl.push_back({CKA_ENCRYPT, &enc, sizeof enc});
    tmpl.push_back({CKA_WRAP, &wrap, sizeof wrap});
    tmpl.push_back({CKA_VERIFY, &verify, sizeof verify});
  }
  if (cls == CKO_SECRET_KEY || cls == CKO_PRIVATE_KEY) {
    tmpl.push_back({CKA_DECRYPT, &dec, sizeof dec});
    tmpl.push_back({CKA_UNWRAP, &unwrap, sizeof unwrap});
    tmpl.push_back({CKA_SIGN, &sign, sizeof sign});
    tmpl.push_back({CKA_SENSITIVE, &sensitive, sizeof sensitive});
    tmpl.push_back({CKA_EXTRACTABLE, &extractable, sizeof extractable});
  }
  if (cls == CKO_SECRET_KEY) tmpl.push_back({CKA_VALUE_LEN, &value_len, sizeof value_len});
  auto r = XKS_CK(module, C_GetAttributeValue, session, object, tmpl.data(), tmpl.size());
  if (!r.ok() && r.error().ck_rv != CKR_ATTRIBUTE_TYPE_INVALID &&
      r.error().ck_rv != CKR_ATTRIBUTE_SENSITIVE) {
    return Fail(std::move(r).error());
  }
  // An attribute the module could not return has ulValueLen == CK_UNAVAILABLE_INFORMATION; its
  // buffer was left as initialized (false / 0).
  info.usage = KeyUsage{enc == CK_TRUE,  dec == CK_TRUE,    wrap == CK_TRUE,  unwrap == CK_TRUE,
                        sign == CK_TRUE, verify == CK_TRUE, derive == CK_TRUE};
  info.sensitive = sensitive == CK_TRUE;
  info.extractable = extractable == CK_TRUE;
  info.value_len = static_cast<std::size_t>(value_len);
  return info;
}

}  // namespace xks::pkcs11
