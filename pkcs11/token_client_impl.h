#pragma once
// TokenClient::Impl, shared by the files that implement TokenClient (token_client.cc: opening and
// the key-use operations; token_client_key_admin.cc: creating, importing and destroying keys).
// Every operation runs through Impl::Run, which leases a session, sets the generation guard, and
// handles recovery: a session-level CK_RV retries once on a fresh session, a fatal one
// re-initializes the module (at most as often as ReinitBackoff allows) and retries once, a stale
// key handle clears the cache and retries once. Internal to pkcs11/.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>

#include "base/hex.h"
#include "pkcs11/aes_gcm.h"
#include "pkcs11/hsm.h"
#include "pkcs11/key_cache.h"
#include "pkcs11/log.h"
#include "pkcs11/module.h"
#include "pkcs11/objects.h"
#include "pkcs11/reinit_backoff.h"
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
      if (result.ok()) {
        reinit_backoff_.NoteSuccess();
        return result;
      }
      const unsigned long rv = result.error().ck_rv;
      if (IsSessionCkRv(rv) && !session_retried) {
        session_retried = true;
        continue;
      }
      if ((IsFatalCkRv(rv) || IsSessionCkRv(rv)) && !reinitialized) {
        reinitialized = true;
        // Module-wide: not again and again for a fault of this token that outlived the last one.
        if (!reinit_backoff_.MayReinitialize()) return result;
        if (auto re = module_->Reinitialize(generation); !re.ok())
          return Fail(std::move(re).error());
        continue;
      }
      if ((rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) && !handles_retried) {
        handles_retried = true;
        ForgetKeys();
        continue;
      }
      return result;
    }
  }

  // Every object search of this client goes through these two, which never overlap a session-
  // object copy (search_copy_mu_).
  HsmResult<std::vector<CK_OBJECT_HANDLE>> FindAll(Lease& lease, const ObjectSelector& selector,
                                                   std::optional<CK_OBJECT_CLASS> object_class) {
    std::shared_lock no_copy_meanwhile(search_copy_mu_);
    return FindTokenObjects(*module_, lease.handle(), selector, object_class);
  }
  HsmResult<CK_OBJECT_HANDLE> FindOne(Lease& lease, const ObjectSelector& selector,
                                      CK_OBJECT_CLASS object_class) {
    std::shared_lock no_copy_meanwhile(search_copy_mu_);
    return FindOneKey(*module_, lease.handle(), selector, object_class);
  }

  // The key's handle: from the cache if found under this generation, else looked up (and, with
  // copy_keys_to_session_objects, copied to a session object) and cached.
  HsmResult<CK_OBJECT_HANDLE> KeyHandle(Lease& lease, const ObjectSelector& selector,
                                        CK_OBJECT_CLASS object_class, bool allow_copy) {
    const std::string cache_key = CacheKey(selector, object_class);
    if (auto cached = cache_.Get(cache_key, lease.generation())) return *cached;
    auto found = FindOne(lease, selector, object_class);
    if (!found.ok()) return Fail(std::move(found).error());
    const CK_OBJECT_HANDLE handle = found.value();
    if (allow_copy && copy_keys_.load()) {
      // The copy is cached under the same lock ForgetKeys takes: a copy made before a ForgetKeys
      // is destroyed by it, one made after copies a source that still exists then.
      std::lock_guard lock(holder_mu_);
      // Another thread may have copied it while this one searched.
      if (auto cached = cache_.Get(cache_key, lease.generation())) return *cached;
      auto copy = CopyToSessionObject(handle);
      if (copy.ok()) {
        cache_.PutCopy(cache_key, lease.generation(), copy.value(), handle);
        return copy.value();
      }
      if (!IsCopyRefusal(copy.error().ck_rv)) return Fail(std::move(copy).error());
      // This module (or this key) does not allow the copy: use the token key from now on.
      copy_keys_.store(false);
      LogLine("pkcs11: token " + label_ + ": keys cannot be copied to session objects (" +
              copy.error().ToLogString() + "); using the token keys");
    }
    cache_.Put(cache_key, lease.generation(), handle);
    return handle;
  }

  // Forgets every cached key handle and destroys this client's session-object copies of the
  // current generation (older ones died with their sessions), so the next use of each key looks it
  // up afresh: what a rotation, a shred or a disable decided is then what the HSM holds.
  void ForgetKeys() {
    std::lock_guard lock(holder_mu_);
    for (const KeyCache::Entry& entry : cache_.TakeAll()) DestroyCopyLocked(entry);
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
    std::unique_lock no_search_meanwhile(search_copy_mu_);
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

  // Destroys the session copies whose token key is gone (destroyed by another process, e.g. a
  // shred by xksctl that has not reloaded the proxy yet). One search of the token's secret keys,
  // under holder_mu_ so no copy is made meanwhile. Returns how many were dropped.
  HsmResult<std::size_t> DropStaleCopies(Deadline deadline) {
    // Not skipped when copying is off now: a refusal may have turned it off after copies were made.
    if (!cache_.HasCopies()) return std::size_t{0};
    return Run<std::size_t>(deadline, [&](Lease& lease) -> HsmResult<std::size_t> {
      std::lock_guard lock(holder_mu_);
      auto live = FindAll(lease, ObjectSelector{}, CKO_SECRET_KEY);
      if (!live.ok()) return Fail(std::move(live).error());
      const auto stale = cache_.TakeCopiesWithout(lease.generation(), live.value());
      for (const KeyCache::Entry& entry : stale) DestroyCopyLocked(entry);
      return stale.size();
    });
  }

  void ForgetKey(const ObjectSelector& selector) {
    std::lock_guard lock(holder_mu_);
    for (CK_OBJECT_CLASS c : {CKO_SECRET_KEY, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
      if (auto erased = cache_.Erase(CacheKey(selector, c))) DestroyCopyLocked(*erased);
    }
  }

  // Requires holder_mu_. Destroys `entry`'s object if it is a session copy this client made in
  // the anchor session still open; never a token object.
  void DestroyCopyLocked(const KeyCache::Entry& entry) {
    if (!entry.session_copy || entry.generation != holder_.generation ||
        holder_.handle == CK_INVALID_HANDLE || holder_.generation != module_->generation()) {
      return;
    }
    (void)XKS_CK(*module_, C_DestroyObject, holder_.handle, entry.handle);
  }

  // CK_RVs with which a module refuses C_CopyObject for a key (not supported, not copyable, the
  // CKA_TOKEN template refused) rather than failing: the token key works instead.
  static bool IsCopyRefusal(unsigned long rv) {
    switch (rv) {
      case CKR_FUNCTION_NOT_SUPPORTED:
      case CKR_ACTION_PROHIBITED:
      case CKR_ATTRIBUTE_READ_ONLY:
      case CKR_ATTRIBUTE_TYPE_INVALID:
      case CKR_ATTRIBUTE_VALUE_INVALID:
      case CKR_TEMPLATE_INCONSISTENT:
      case CKR_KEY_UNEXTRACTABLE:
        return true;
      default:
        return false;
    }
  }

  std::shared_ptr<Module> module_;
  std::atomic<bool> copy_keys_;  // turned off when the module refuses a copy
  const SecretBytes pin_;
  const std::string label_;
  const std::string serial_;
  std::mutex slot_mu_;
  unsigned long slot_;
  std::uint64_t slot_generation_;
  KeyCache cache_;
  std::unique_ptr<SessionPool> pool_;
  ReinitBackoff reinit_backoff_;
  std::mutex holder_mu_;
  // The anchor session: keeps the login and object handles alive, owns session-object key copies
  // (they die with the session that created them). Lock order: holder_mu_, then slot_mu_.
  PooledSession holder_;
  // Searches hold it shared, a session-object copy exclusively (lock order: holder_mu_ first).
  // C_CopyObject need not be atomic: SoftHSMv2 puts the new session object into its store, then
  // fills it attribute by attribute from the source (CKA_TOKEN=TRUE and the same CKA_LABEL) and
  // applies our CKA_TOKEN=FALSE template last. A C_FindObjectsInit in another session meanwhile
  // matches the half-made copy as a second token key ("more than one key has this label"), or
  // hands out its handle. Copies are rare (once per key and module generation); searches only
  // run on key-cache misses and in key administration, so the shared lock costs next to nothing.
  std::shared_mutex search_copy_mu_;
};

}  // namespace xks::pkcs11
