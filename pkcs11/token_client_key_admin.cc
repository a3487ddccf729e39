// TokenClient's key administration: creating, importing, generating, unwrapping and destroying
// keys (xksctl and the tests use these; the request path never does). Each refuses a label that a
// token object already carries.

#include <string>
#include <utility>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/key_admin.h"
#include "pkcs11/objects.h"
#include "pkcs11/pkcs11_uri.h"
#include "pkcs11/token_client_impl.h"

namespace xks::pkcs11 {

namespace {

HsmResult<std::vector<std::uint8_t>> LabelBytes(std::string_view label) {
  if (label.empty()) return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty label"));
  return std::vector<std::uint8_t>(label.begin(), label.end());
}

ObjectSelector LabelSelector(std::string_view label) {
  ObjectSelector s;
  s.label = std::string(label);
  return s;
}

// Fails with kInvalidArgument when any token object already carries `label`.
HsmResult<void> CheckLabelUnused(TokenClient::Impl& impl, Lease& lease, std::string_view label) {
  auto existing = impl.FindAll(lease, LabelSelector(label), std::nullopt);
  if (!existing.ok()) return Fail(std::move(existing).error());
  if (!existing->empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "a key with this label exists"));
  }
  return {};
}

}  // namespace

HsmResult<KeyInfo> TokenClient::CreateAesKey(const AesKeySpec& spec, Deadline deadline) {
  if (spec.label.empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty label"));
  }
  return impl_->Run<KeyInfo>(deadline, [&](Lease& lease) -> HsmResult<KeyInfo> {
    if (auto r = CheckLabelUnused(*impl_, lease, spec.label); !r.ok()) {
      return Fail(std::move(r).error());
    }
    auto key = GenerateAesKey(*impl_->module_, lease.handle(), spec);
    if (!key.ok()) return Fail(std::move(key).error());
    return DescribeObject(*impl_->module_, lease.handle(), key.value());
  });
}

HsmResult<void> TokenClient::ImportAesKeyForTesting(const AesKeySpec& spec,
                                                    const SecretBytes& key_value,
                                                    Deadline deadline) {
  if (spec.label.empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty label"));
  }
  return impl_->Run<void>(deadline, [&](Lease& lease) -> HsmResult<void> {
    if (auto r = CheckLabelUnused(*impl_, lease, spec.label); !r.ok()) return r;
    auto key = ImportAesKey(*impl_->module_, lease.handle(), spec, key_value);
    if (!key.ok()) return Fail(std::move(key).error());
    return {};
  });
}

HsmResult<void> TokenClient::DestroyKey(std::string_view key, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<void>(deadline, [&](Lease& lease) -> HsmResult<void> {
    auto handles = impl_->FindAll(lease, selector.value(), std::nullopt);
    if (!handles.ok()) return Fail(std::move(handles).error());
    if (handles->empty()) return Fail(MakeHsmError(HsmErrorKind::kNotFound, "no such key"));
    impl_->ForgetKey(selector.value());
    for (CK_OBJECT_HANDLE h : handles.value()) {
      if (auto r = XKS_CK(*impl_->module_, C_DestroyObject, lease.handle(), h); !r.ok()) return r;
    }
    return {};
  });
}

HsmResult<EcPublicKey> TokenClient::GenerateEcP256KeyPair(std::string_view label,
                                                          std::span<const std::uint8_t> id,
                                                          Deadline deadline) {
  auto label_bytes = LabelBytes(label);
  if (!label_bytes.ok()) return Fail(std::move(label_bytes).error());
  return impl_->Run<EcPublicKey>(deadline, [&](Lease& lease) -> HsmResult<EcPublicKey> {
    Module& m = *impl_->module_;
    if (auto r = CheckLabelUnused(*impl_, lease, label); !r.ok()) return Fail(r.error());
    auto pair = GenerateEcP256(m, lease.handle(), label_bytes.value(), id);
    if (!pair.ok()) return Fail(std::move(pair).error());
    auto point = ReadBytesAttribute(m, lease.handle(), pair->first, CKA_EC_POINT);
    if (!point.ok()) return Fail(std::move(point).error());
    auto params = ReadBytesAttribute(m, lease.handle(), pair->first, CKA_EC_PARAMS);
    if (!params.ok()) return Fail(std::move(params).error());
    return EcPublicKey{std::move(point).value(), std::move(params).value()};
  });
}

HsmResult<RsaPublicKey> TokenClient::GenerateRsaWrappingKeyPair(std::string_view label,
                                                                std::span<const std::uint8_t> id,
                                                                unsigned bits, Deadline deadline) {
  auto label_bytes = LabelBytes(label);
  if (!label_bytes.ok()) return Fail(std::move(label_bytes).error());
  if (bits < 2048 || bits > 4096) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "RSA key size must be 2048..4096"));
  }
  return impl_->Run<RsaPublicKey>(deadline, [&](Lease& lease) -> HsmResult<RsaPublicKey> {
    Module& m = *impl_->module_;
    if (auto r = CheckLabelUnused(*impl_, lease, label); !r.ok()) return Fail(r.error());
    auto pair = GenerateRsaWrappingPair(m, lease.handle(), label_bytes.value(), id,
                                        static_cast<CK_ULONG>(bits));
    if (!pair.ok()) return Fail(std::move(pair).error());
    auto modulus = ReadBytesAttribute(m, lease.handle(), pair->first, CKA_MODULUS);
    if (!modulus.ok()) return Fail(std::move(modulus).error());
    auto exponent = ReadBytesAttribute(m, lease.handle(), pair->first, CKA_PUBLIC_EXPONENT);
    if (!exponent.ok()) return Fail(std::move(exponent).error());
    return RsaPublicKey{std::move(modulus).value(), std::move(exponent).value()};
  });
}

HsmResult<KeyInfo> TokenClient::UnwrapAesKeyRsaOaep(std::string_view wrapping_key,
                                                    std::span<const std::uint8_t> wrapped,
                                                    const AesKeySpec& spec, Deadline deadline,
                                                    OaepHash hash) {
  auto selector = ParseObjectSelector(wrapping_key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  if (spec.label.empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty label"));
  }
  if (wrapped.empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty wrapped key"));
  }
  return impl_->Run<KeyInfo>(deadline, [&](Lease& lease) -> HsmResult<KeyInfo> {
    Module& m = *impl_->module_;
    if (auto r = CheckLabelUnused(*impl_, lease, spec.label); !r.ok()) return Fail(r.error());
    auto unwrapping = impl_->FindOne(lease, selector.value(), CKO_PRIVATE_KEY);
    if (!unwrapping.ok()) return Fail(std::move(unwrapping).error());
    auto key = UnwrapAesKeyOaep(m, lease.handle(), unwrapping.value(), wrapped, spec, hash);
    if (!key.ok()) return Fail(std::move(key).error());
    auto info = DescribeObject(m, lease.handle(), key.value());
    if (!info.ok() || info->value_len != 32) {
      // Never leave behind a key whose size is wrong or unknown: the proxy serves only keys that
      // report AES-256. 0 is what a module that leaves CKA_VALUE_LEN unset on unwrapped keys
      // reports (SoftHSMv2 2.6).
      (void)XKS_CK(m, C_DestroyObject, lease.handle(), key.value());
      if (!info.ok()) return Fail(std::move(info).error());
      if (info->value_len == 0) {
        return Fail(MakeHsmError(HsmErrorKind::kKeyUsageNotPermitted,
                                 "the module does not report CKA_VALUE_LEN of unwrapped keys, so "
                                 "the key cannot be verified as AES-256 (SoftHSMv2 2.6); the "
                                 "unwrapped key was destroyed"));
      }
      return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument,
                               "unwrapped key material is not 32 bytes (AES-256)"));
    }
    return info;
  });
}

}  // namespace xks::pkcs11
