// TokenClient: the facade from hsm.h. Every operation runs through Impl::Run, which leases a
// session, sets the generation guard, and handles recovery: a session-level CK_RV retries once on a
// fresh session, a fatal one re-initializes the module and retries once, a stale key handle clears
// the cache and retries once.

#include <array>
#include <mutex>
#include <string>
#include <utility>

#include "base/hex.h"
#include "pkcs11/aes_gcm.h"
#include "pkcs11/hsm.h"
#include "pkcs11/key_admin.h"
#include "pkcs11/key_cache.h"
#include "pkcs11/module.h"
#include "pkcs11/objects.h"
#include "pkcs11/pkcs11_uri.h"
#include "pkcs11/session_pool.h"
#include "pkcs11/token.h"

namespace xks::pkcs11 {

using Lease = SessionPool::Lease;

class TokenClient::Impl {
 public:
  Impl(std::shared_ptr<Module> module, const TokenConfig& config, SecretBytes pin,
       SlotDescription slot)
      : module_(std::move(module)),
        copy_keys_(config.copy_keys_to_session_objects),
        pin_(std::move(pin)),
        label_(slot.token_label),
        serial_(slot.token_serial),
        slot_(slot.slot_id),
        slot_generation_(module_->generation()) {
    pool_ = std::make_unique<SessionPool>(module_, config.max_sessions,
                                          [this] { return OpenSession(); });
  }

  ~Impl() {
    pool_.reset();
    std::lock_guard lock(holder_mu_);
    if (holder_.handle != CK_INVALID_HANDLE && holder_.generation == module_->generation()) {
      (void)XKS_CK(*module_, C_CloseSession, holder_.handle);
    }
  }

  // Runs `op(lease)` with recovery (see the file comment). `op` returns HsmResult<T>.
  template <typename T, typename Op>
  HsmResult<T> Run(Deadline deadline, Op&& op) {
    bool session_retried = false, reinitialized = false, handles_retried = false;
    for (;;) {
      const std::uint64_t generation = module_->generation();
      HsmResult<T> result = [&]() -> HsmResult<T> {
        auto lease = pool_->Acquire(deadline);
        if (!lease.ok()) return Fail(std::move(lease).error());
        Module::GenerationGuard guard(lease->generation());
        HsmResult<T> r = op(lease.value());
        if (!r.ok() && IsSessionCkRv(r.error().ck_rv)) lease->MarkBroken();
        return r;
      }();  // the lease is back in the pool before any re-initialization below
      if (result.ok()) return result;
      const unsigned long rv = result.error().ck_rv;
      if (IsSessionCkRv(rv) && !session_retried) {
        session_retried = true;
        continue;
      }
      if ((IsFatalCkRv(rv) || IsSessionCkRv(rv)) && !reinitialized) {
        reinitialized = true;
        if (auto re = module_->Reinitialize(generation); !re.ok())
          return Fail(std::move(re).error());
        continue;
      }
      if ((rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) && !handles_retried) {
        handles_retried = true;
        cache_.Clear();
        continue;
      }
      return result;
    }
  }

  // The key's handle: from the cache if found under this generation, else looked up (and, with
  // copy_keys_to_session_objects, copied to a session object) and cached.
  HsmResult<CK_OBJECT_HANDLE> KeyHandle(Lease& lease, const ObjectSelector& selector,
                                        CK_OBJECT_CLASS object_class, bool allow_copy) {
    const std::string cache_key = CacheKey(selector, object_class);
    if (auto cached = cache_.Get(cache_key, lease.generation())) return *cached;
    auto found = FindOneKey(*module_, lease.handle(), selector, object_class);
    if (!found.ok()) return Fail(std::move(found).error());
    CK_OBJECT_HANDLE handle = found.value();
    if (allow_copy && copy_keys_) {
      std::lock_guard lock(holder_mu_);
      // Another thread may have copied it while this one searched.
      if (auto cached = cache_.Get(cache_key, lease.generation())) return *cached;
      auto copy = CopyToSessionObject(handle);
      if (!copy.ok()) return Fail(std::move(copy).error());
      handle = copy.value();
    }
    cache_.Put(cache_key, lease.generation(), handle);
    return handle;
  }

  // After an operation that may have left C_*Init active: cancel it (v3.0) or discard the session.
  void Finish(Lease& lease, bool dirty) {
    if (dirty && !module_->CancelOperations(lease.handle())) lease.MarkBroken();
  }

  HsmResult<GcmSealed> Encrypt(const ObjectSelector& key, std::span<const std::uint8_t> explicit_iv,
                               std::span<const std::uint8_t> plaintext,
                               std::span<const std::uint8_t> aad, Deadline deadline) {
    return Run<GcmSealed>(deadline, [&](Lease& lease) -> HsmResult<GcmSealed> {
      auto handle = KeyHandle(lease, key, CKO_SECRET_KEY, true);
      if (!handle.ok()) return Fail(std::move(handle).error());
      std::array<std::uint8_t, 16> iv_buffer{};
      std::span<std::uint8_t> iv(iv_buffer.data(), kGcmIvBytes);
      GcmIvMode mode = GcmIvMode::kExplicit;
      if (!explicit_iv.empty()) {
        iv = std::span<std::uint8_t>(iv_buffer.data(), explicit_iv.size());
        std::copy(explicit_iv.begin(), explicit_iv.end(), iv.begin());
      } else if (module_->config().hsm_generates_gcm_iv) {
        mode = GcmIvMode::kHsmGenerated;
      } else if (auto r = XKS_CK(*module_, C_GenerateRandom, lease.handle(), iv.data(), iv.size());
                 !r.ok()) {
        return Fail(std::move(r).error());
      }
      bool dirty = false;
      auto sealed =
          GcmEncrypt(*module_, lease.handle(), handle.value(), mode, iv, plaintext, aad, dirty);
      Finish(lease, dirty);
      return sealed;
    });
  }

  // Requires holder_mu_. Copies a token key into a session object owned by the anchor session.
  HsmResult<CK_OBJECT_HANDLE> CopyToSessionObject(CK_OBJECT_HANDLE key) {
    if (auto anchor = EnsureAnchorLocked(); !anchor.ok()) return Fail(std::move(anchor).error());
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {{CKA_TOKEN, &no, sizeof no}};
    CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
    auto r = XKS_CK(*module_, C_CopyObject, holder_.handle, key, tmpl, 1, &copy);
    if (!r.ok()) return Fail(std::move(r).error());
    return copy;
  }

  // Requires holder_mu_. (Re)opens the anchor session for the current generation.
  HsmResult<void> EnsureAnchorLocked() {
    if (holder_.handle != CK_INVALID_HANDLE && holder_.generation == module_->generation()) {
      return {};
    }
    auto slot = CurrentSlot();
    if (!slot.ok()) return Fail(std::move(slot).error());
    auto opened = OpenLoggedInSession(*module_, slot.value(), pin_);
    if (!opened.ok()) return Fail(std::move(opened).error());
    holder_ = opened.value();  // an old-generation handle is dropped, never closed
    return {};
  }

  // The pool's opener: the anchor first, so the login and object handles survive pool churn.
  HsmResult<PooledSession> OpenSession() {
    {
      std::lock_guard lock(holder_mu_);
      if (auto anchor = EnsureAnchorLocked(); !anchor.ok()) return Fail(std::move(anchor).error());
    }
    auto slot = CurrentSlot();
    if (!slot.ok()) return Fail(std::move(slot).error());
    return OpenLoggedInSession(*module_, slot.value(), pin_);
  }

  // The slot id can change when the module is re-initialized; the serial number cannot.
  HsmResult<unsigned long> CurrentSlot() {
    std::lock_guard lock(slot_mu_);
    const std::uint64_t generation = module_->generation();
    if (slot_generation_ == generation) return slot_;
    TokenSelector by_serial;
    by_serial.serial = serial_;
    auto found = FindToken(*module_, by_serial);
    if (!found.ok()) return Fail(std::move(found).error());
    slot_ = found->slot_id;
    slot_generation_ = generation;
    return slot_;
  }

  static std::string CacheKey(const ObjectSelector& selector, CK_OBJECT_CLASS object_class) {
    std::string key = std::to_string(object_class) + ":" + selector.label.value_or("") + ":";
    if (selector.id) key += HexEncode(*selector.id);
    return key;
  }

  void ForgetKey(const ObjectSelector& selector) {
    for (CK_OBJECT_CLASS c : {CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
      auto erased = cache_.Erase(CacheKey(selector, c));
      if (!erased || !copy_keys_ || c != CKO_SECRET_KEY) continue;
      std::lock_guard lock(holder_mu_);
      if (erased->second == holder_.generation && holder_.handle != CK_INVALID_HANDLE) {
        (void)XKS_CK(*module_, C_DestroyObject, holder_.handle, erased->first);
      }
    }
  }

  std::shared_ptr<Module> module_;
  const bool copy_keys_;
  const SecretBytes pin_;
  const std::string label_;
  const std::string serial_;
  std::mutex slot_mu_;
  unsigned long slot_;
  std::uint64_t slot_generation_;
  KeyCache cache_;
  std::unique_ptr<SessionPool> pool_;
  std::mutex holder_mu_;
  // The anchor session: keeps the login and object handles alive, owns session-object key copies
  // (they die with the session that created them). Lock order: holder_mu_, then slot_mu_.
  PooledSession holder_;
};

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

}  // namespace

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

HsmResult<KeyInfo> TokenClient::DescribeKey(std::string_view key, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<KeyInfo>(deadline, [&](Lease& lease) -> HsmResult<KeyInfo> {
    for (CK_OBJECT_CLASS c : {CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
      auto handle = FindOneKey(*impl_->module_, lease.handle(), selector.value(), c);
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
        auto handles = FindTokenObjects(*impl_->module_, lease.handle(), {}, std::nullopt);
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

namespace {

// Fails with kInvalidArgument when any token object already carries `label`.
HsmResult<void> CheckLabelUnused(Module& module, CK_SESSION_HANDLE session,
                                 std::string_view label) {
  auto existing = FindTokenObjects(module, session, LabelSelector(label), std::nullopt);
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
    if (auto r = CheckLabelUnused(*impl_->module_, lease.handle(), spec.label); !r.ok()) {
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
    if (auto r = CheckLabelUnused(*impl_->module_, lease.handle(), spec.label); !r.ok()) return r;
    auto key = ImportAesKey(*impl_->module_, lease.handle(), spec, key_value);
    if (!key.ok()) return Fail(std::move(key).error());
    return {};
  });
}

HsmResult<void> TokenClient::DestroyKey(std::string_view key, Deadline deadline) {
  auto selector = ParseObjectSelector(key);
  if (!selector.ok()) return Fail(std::move(selector).error());
  return impl_->Run<void>(deadline, [&](Lease& lease) -> HsmResult<void> {
    auto handles =
        FindTokenObjects(*impl_->module_, lease.handle(), selector.value(), std::nullopt);
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
    if (auto r = CheckLabelUnused(m, lease.handle(), label); !r.ok()) return Fail(r.error());
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
    if (auto r = CheckLabelUnused(m, lease.handle(), label); !r.ok()) return Fail(r.error());
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
    if (auto r = CheckLabelUnused(m, lease.handle(), spec.label); !r.ok()) return Fail(r.error());
    auto unwrapping = FindOneKey(m, lease.handle(), selector.value(), CKO_PRIVATE_KEY);
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
    auto handle = FindOneKey(m, lease.handle(), selector.value(), CKO_PUBLIC_KEY);
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
        auto handle = FindOneKey(*impl_->module_, lease.handle(), selector.value(), CKO_SECRET_KEY);
        if (!handle.ok()) return Fail(std::move(handle).error());
        return ReadBytesAttribute(*impl_->module_, lease.handle(), handle.value(), CKA_VALUE);
      });
}

}  // namespace xks::pkcs11
