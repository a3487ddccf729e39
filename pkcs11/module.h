#pragma once
// One loaded PKCS#11 module: dlopen, function list (C_GetInterface preferred, C_GetFunctionList as
// fallback), C_Initialize/C_Finalize, and the generation counter that invalidates every session and
// object handle when the module is re-initialized. Internal to pkcs11/ (includes pkcs11.h).

#include <p11-kit/pkcs11.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

#include "pkcs11/ck_call.h"
#include "pkcs11/hsm.h"

namespace xks::pkcs11 {

/// Thread-safe. Every C_* call holds a shared lock, Reinitialize an exclusive one, so the module is
/// never finalized under a running call. One Module per module file per process: Cryptoki state is
/// per process, and a second instance would share (and on destruction finalize) the first one's
/// state.
class Module {
 public:
  /// See OpenModule in hsm.h.
  static HsmResult<std::shared_ptr<Module>> Load(const ModuleConfig& config);
  /// C_Finalize (if this instance initialized the module) and dlclose.
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Runs one C_* function through the choke point (CkCall). Use the XKS_CK macro below so the
  /// function's name is logged. Must not be called while holding another Module lock.
  template <typename Fn, typename... Args>
  HsmResult<void> Call(const char* name, Fn CK_FUNCTION_LIST::*member, Args... args) {
    std::shared_lock lock(mu_);
    // A session handle from an older generation may name someone else's new session: refuse the
    // call (checked under the lock, so it cannot race with Reinitialize).
    const std::uint64_t expected = ExpectedGeneration();
    if (expected != 0 && expected != generation_.load(std::memory_order_acquire)) {
      return Fail(ErrorFromCkRv(name, CKR_SESSION_HANDLE_INVALID));
    }
    if (injected_faults_.load(std::memory_order_relaxed) > 0 &&
        (injected_function_.empty() || injected_function_ == name) &&
        injected_faults_.fetch_sub(1, std::memory_order_relaxed) > 0) {
      const CK_RV rv = injected_rv_.load(std::memory_order_relaxed);
      LogCkFailure(name, rv);
      return Fail(ErrorFromCkRv(name, rv));
    }
    return CkCall(name, functions_->*member, args...);
  }

  /// v3.0 C_SessionCancel of the encrypt/decrypt/sign operation, when the module has it.
  /// Returns false when the module lacks it (the caller then finishes or discards the session).
  bool CancelOperations(CK_SESSION_HANDLE session);

  /// Increments on every re-initialization. Handles obtained under another generation are invalid.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  /// C_Finalize + C_Initialize, unless another thread already did it since `seen_generation`.
  /// Callers must hold no session lease of this module's pools while calling (leases of an old
  /// generation are discarded, not closed, when returned).
  HsmResult<void> Reinitialize(std::uint64_t seen_generation);

  const ModuleConfig& config() const { return config_; }
  /// ModuleConfig::decrypt_general_error_is_bad_ciphertext, resolved at load.
  bool decrypt_general_error_is_bad_ciphertext() const { return general_error_is_bad_ciphertext_; }
  const std::string& path() const { return path_; }
  /// The module's version of the Cryptoki interface it returned (2.40, 3.0, ...).
  CK_VERSION interface_version() const { return interface_version_; }

  /// While alive, every Call on this thread fails with CKR_SESSION_HANDLE_INVALID (without reaching
  /// the module) unless the module is still at `generation`. Set around work on a leased session.
  class GenerationGuard {
   public:
    explicit GenerationGuard(std::uint64_t generation) : previous_(ExpectedGeneration()) {
      ExpectedGeneration() = generation;
    }
    ~GenerationGuard() { ExpectedGeneration() = previous_; }
    GenerationGuard(const GenerationGuard&) = delete;
    GenerationGuard& operator=(const GenerationGuard&) = delete;

   private:
    std::uint64_t previous_;
  };

  // Testing hooks (see pkcs11/testing.h).
  void FinalizeUnderneathForTesting();
  void InjectFaultsForTesting(CK_RV rv, int count, std::string function);
  CK_FUNCTION_LIST* raw_functions() const { return functions_; }

 private:
  Module() = default;
  HsmResult<void> InitializeLocked();
  static std::uint64_t& ExpectedGeneration() {
    thread_local std::uint64_t expected = 0;
    return expected;
  }

  ModuleConfig config_;
  std::string path_;
  void* library_ = nullptr;
  CK_FUNCTION_LIST* functions_ = nullptr;
  CK_RV (*session_cancel_)(CK_SESSION_HANDLE, CK_FLAGS) = nullptr;
  CK_VERSION interface_version_{2, 40};
  bool initialized_by_us_ = false;
  bool general_error_is_bad_ciphertext_ = false;
  mutable std::shared_mutex mu_;
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<int> injected_faults_{0};
  std::atomic<CK_RV> injected_rv_{CKR_OK};
  std::string injected_function_;  // written under the exclusive lock, read under the shared one
};

}  // namespace xks::pkcs11

/// XKS_CK(module, C_Encrypt, session, ...) -> HsmResult<void>; logs "C_Encrypt" on failure.
#define XKS_CK(module, fn, ...) (module).Call(#fn, &CK_FUNCTION_LIST::fn, __VA_ARGS__)
