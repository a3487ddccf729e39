// TokenClient: the facade from hsm.h. This file opens the client and runs the operations that use
// keys (encrypt, decrypt, sign, describe, list, read). Creating, importing and destroying keys is
// in token_client_key_admin.cc; the session leasing and recovery both share is Impl, in
// token_client_impl.h.

#include <array>
#include <string>
#include <utility>

#include "pkcs11/aes_gcm.h"
#include "pkcs11/hsm.h"
#include "pkcs11/key_admin.h"  // SignEcdsaRaw
#include "pkcs11/objects.h"
#include "pkcs11/pkcs11_uri.h"
#include "pkcs11/token.h"
#include "pkcs11/token_client_impl.h"

namespace xks::pkcs11 {

HsmResult<std::unique_ptr<TokenClient>> TokenClient::Open(std::shared_ptr<Module> module,
                                                          const TokenConfig& config) {
  if (!module) return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "no module"));
  if (config.max_sessions == 0) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "max_sessions must be at least 1"));
  }
  auto selector = ParseTokenSelector(config.token);
  if (!selector.ok()) return Fail(std::move(selector).error());
  auto pin = config.pin.Read();
  if (!pin.ok()) return Fail(std::move(pin).error());
  auto slot = FindToken(*module, selector.value());
  if (!slot.ok()) return Fail(std::move(slot).error());
  auto impl = std::make_unique<Impl>(std::move(module), config, std::move(pin).value(),
                                     std::move(slot).value());
  // Log in now so a wrong PIN fails at startup, not on the first request.
  auto probe = impl->pool_->Acquire(std::chrono::steady_clock::now());
  if (!probe.ok()) return Fail(std::move(probe).error());
  probe->Release();
  return std::unique_ptr<TokenClient>(new TokenClient(std::move(impl)));
}

TokenClient::TokenClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenClient::~TokenClient() = default;

const std::string& TokenClient::token_label() const { return impl_->label_; }
const std::string& TokenClient::token_serial() const { return impl_->serial_; }

HsmResult<GcmSealed> TokenClient::Encrypt(std::string_view key,
                                          std::span<const std::uint8_t> plaintext,
                                          std::span<const std::uint8_t> aad, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  if (aad.size() > kMaxAadBytes) return Fail(CheckGcmSizes(12, 16, aad.size()).error());
  return impl_->Encrypt(selector.value(), {}, plaintext, aad, deadline);
}

HsmResult<GcmSealed> TokenClient::EncryptWithExplicitIvForTesting(
    std::string_view key, std::span<const std::uint8_t> iv, std::span<const std::uint8_t> plaintext,
    std::span<const std::uint8_t> aad, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  if (auto sizes = CheckGcmSizes(iv.size(), 16, aad.size()); !sizes.ok()) {
    return Fail(std::move(sizes).error());
  }
  return impl_->Encrypt(selector.value(), iv, plaintext, aad, deadline);
}

HsmResult<SecretBytes> TokenClient::Decrypt(std::string_view key, std::span<const std::uint8_t> iv,
                                            std::span<const std::uint8_t> ciphertext,
                                            std::span<const std::uint8_t> tag,
                                            std::span<const std::uint8_t> aad, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  if (auto sizes = CheckGcmSizes(iv.size(), tag.size(), aad.size()); !sizes.ok()) {
    return Fail(std::move(sizes).error());
  }
  return impl_->Run<SecretBytes>(deadline, [&](Lease& lease) -> HsmResult<SecretBytes> {
    auto handle = impl_->KeyHandle(lease, selector.value(), CKO_SECRET_KEY, true);
    if (!handle.ok()) return Fail(std::move(handle).error());
    bool dirty = false;
    auto plain = GcmDecrypt(*impl_->module_, lease.handle(), handle.value(), iv, ciphertext, tag,
                            aad, dirty);
    impl_->Finish(lease, dirty);
    return plain;
  });
}

void TokenClient::ForgetKeys() { impl_->ForgetKeys(); }

HsmResult<std::size_t> TokenClient::DropStaleKeyCopies(Deadline deadline) {
  return impl_->DropStaleCopies(deadline);
}

HsmResult<KeyInfo> TokenClient::DescribeKey(std::string_view key, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<KeyInfo>(deadline, [&](Lease& lease) -> HsmResult<KeyInfo> {
    for (CK_OBJECT_CLASS c : {CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
      auto handle = impl_->FindOne(lease, selector.value(), c);
      if (!handle.ok()) {
        if (handle.error().kind == HsmErrorKind::kNotFound && handle.error().ck_rv == 0) continue;
        return Fail(std::move(handle).error());
      }
      return DescribeObject(*impl_->module_, lease.handle(), handle.value());
    }
    return Fail(MakeHsmError(HsmErrorKind::kNotFound, "no such key"));
  });
}

HsmResult<std::vector<KeyInfo>> TokenClient::ListKeys(Deadline deadline) {
  return impl_->Run<std::vector<KeyInfo>>(
      deadline, [&](Lease& lease) -> HsmResult<std::vector<KeyInfo>> {
        auto handles = impl_->FindAll(lease, {}, std::nullopt);
        if (!handles.ok()) return Fail(std::move(handles).error());
        std::vector<KeyInfo> keys;
        for (CK_OBJECT_HANDLE h : handles.value()) {
          auto info = DescribeObject(*impl_->module_, lease.handle(), h);
          if (!info.ok()) return Fail(std::move(info).error());
          if (info->key_class != KeyClass::kOther) keys.push_back(std::move(info).value());
        }
        return keys;
      });
}

HsmResult<std::vector<std::uint8_t>> TokenClient::SignEcdsa(std::string_view key,
                                                            std::span<const std::uint8_t> digest,
                                                            Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<std::vector<std::uint8_t>>(
      deadline, [&](Lease& lease) -> HsmResult<std::vector<std::uint8_t>> {
        auto handle = impl_->KeyHandle(lease, selector.value(), CKO_PRIVATE_KEY, false);
        if (!handle.ok()) return Fail(std::move(handle).error());
        bool dirty = false;
        auto sig = SignEcdsaRaw(*impl_->module_, lease.handle(), handle.value(), digest, dirty);
        impl_->Finish(lease, dirty);
        return sig;
      });
}

HsmResult<EcPublicKey> TokenClient::GetEcPublicKey(std::string_view key, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<EcPublicKey>(deadline, [&](Lease& lease) -> HsmResult<EcPublicKey> {
    Module& m = *impl_->module_;
    auto handle = impl_->FindOne(lease, selector.value(), CKO_PUBLIC_KEY);
    if (!handle.ok()) return Fail(std::move(handle).error());
    auto point = ReadBytesAttribute(m, lease.handle(), handle.value(), CKA_EC_POINT);
    if (!point.ok()) return Fail(std::move(point).error());
    auto params = ReadBytesAttribute(m, lease.handle(), handle.value(), CKA_EC_PARAMS);
    if (!params.ok()) return Fail(std::move(params).error());
    return EcPublicKey{std::move(point).value(), std::move(params).value()};
  });
}

HsmResult<std::vector<std::uint8_t>> TokenClient::ReadKeyValueForTesting(std::string_view key,
                                                                         Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<std::vector<std::uint8_t>>(
      deadline, [&](Lease& lease) -> HsmResult<std::vector<std::uint8_t>> {
        auto handle = impl_->FindOne(lease, selector.value(), CKO_SECRET_KEY);
        if (!handle.ok()) return Fail(std::move(handle).error());
        return ReadBytesAttribute(*impl_->module_, lease.handle(), handle.value(), CKA_VALUE);
      });
}

}  // namespace xks::pkcs11
