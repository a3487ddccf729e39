#pragma once
// The state of the fault-injecting PKCS#11 module (one per process): the real module it forwards
// to, the mapped control block, the session table and the rule engine. The C entry points are in
// entry_points.cc; they all run through Dispatch there.
//
// Sessions are virtualised: the caller sees handles this module hands out (never reused), mapped to
// the real module's handles. A dropped session keeps its virtual handle, which then answers
// CKR_SESSION_HANDLE_INVALID, even after the real module reuses the real handle number for a new
// session (SoftHSM does).
//
// Locks: real_calls_ is held shared around every forwarded call and exclusively to finalise the
// real module (so it is never finalised under a running call); sessions_mu_ and labels_mu_ nest
// inside it. Hangs and latency wait outside every lock.

#include <p11-kit/pkcs11.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "tests/fault_pkcs11/control_block.h"

namespace xks::fault_pkcs11 {

/// One session as the caller sees it.
struct VirtualSession {
  CK_SESSION_HANDLE real = CK_INVALID_HANDLE;
  CK_SLOT_ID slot = 0;
  std::string label;       ///< the slot's token label at open time
  bool dropped = false;    ///< closed underneath by DropSessions: every call fails
  bool logged_in = false;  ///< C_Login succeeded on this very session
};

class FaultModule {
 public:
  /// The process-wide instance (never destroyed: calls may still arrive while the process exits).
  static FaultModule& Get();

  /// Loads the real module named by XKS_FAULT_PKCS11_TARGET and maps the control file named by
  /// XKS_FAULT_PKCS11_CONTROL (or uses a private, empty one). Idempotent; re-maps the control file
  /// when the variable changed (a later test in the same process). CKR_GENERAL_ERROR (with a line
  /// on stderr) when either is unusable.
  CK_RV Setup();
  CK_FUNCTION_LIST& real() const { return *real_.load(std::memory_order_acquire); }
  ControlBlock& block() const { return *block_.load(std::memory_order_acquire); }

  // ---- Per call ----
  void CountCall(FaultFunction function);
  /// Carries out commands posted since the last call (drop sessions, finalise underneath).
  void ApplyCommands();
  bool finalised_underneath() const { return finalised_.load(std::memory_order_acquire); }
  /// Applies the armed rules for `function` on the token `label` (nullopt: no token, e.g.
  /// C_GetSlotList): latency, hangs, then the first firing CK_RV. CKR_OK means "forward".
  CK_RV InjectFaults(FaultFunction function, const std::optional<std::string>& label);
  std::shared_mutex& real_calls() { return real_calls_; }

  // ---- Sessions and slots (fault_sessions.cc) ----
  std::optional<VirtualSession> FindSession(CK_SESSION_HANDLE handle);
  /// Under real_calls() shared: enforces kLimitSessions rules, opens the real session, returns a
  /// new virtual handle in `*out`.
  CK_RV OpenSession(CK_SLOT_ID slot, const std::string& label, CK_FLAGS flags,
                    CK_SESSION_HANDLE* out);
  void ForgetSession(CK_SESSION_HANDLE handle);
  void ForgetSessionsOfSlot(CK_SLOT_ID slot);
  void SetLoggedIn(CK_SESSION_HANDLE handle, bool logged_in);
  /// The token label in `slot` (cached; asks the real module once). "" when it cannot tell.
  std::string LabelOf(CK_SLOT_ID slot);
  void RememberLabel(CK_SLOT_ID slot, const CK_TOKEN_INFO& info);
  void ForgetLabel(CK_SLOT_ID slot);

  // ---- Life cycle ----
  CK_RV Initialize(void* init_args);
  CK_RV Finalize(void* reserved);
  /// Releases hung calls for good (library unload): they return CKR_CRYPTOKI_NOT_INITIALIZED.
  void Shutdown();

 private:
  FaultModule() = default;
  CK_RV LoadTargetLocked();
  CK_RV MapControlLocked();
  void DropSessions(std::uint64_t epoch);
  void FinaliseRealModule(std::uint64_t epoch);
  void ClearSessionsLocked();
  bool Fires(SharedRule& rule, std::uint64_t every_nth, std::uint64_t times);
  bool HangUntilReleased(const SharedRule& rule, std::uint64_t sequence);
  void Sleep(std::uint64_t micros);
  CK_RV CheckSessionLimits(const std::string& label);
  void WaitForHungCallsToLeave();

  std::mutex setup_mu_;
  std::string target_path_, control_path_;
  std::atomic<CK_FUNCTION_LIST*> real_{nullptr};
  std::atomic<ControlBlock*> block_{nullptr};
  ControlBlock private_block_;  // when no control file is named

  std::shared_mutex real_calls_;
  std::atomic<bool> finalised_{false};   // the real module was finalised underneath
  std::atomic<bool> finalizing_{false};  // the caller's C_Finalize is waiting for hung calls
  std::atomic<bool> shutting_down_{false};
  std::atomic<int> hung_here_{0};  // hung calls of this process
  std::atomic<std::uint64_t> seen_drop_epoch_{0}, seen_finalise_epoch_{0};

  std::shared_mutex sessions_mu_;  // shared for lookups (every session call), else exclusive
  std::unordered_map<CK_SESSION_HANDLE, VirtualSession> sessions_;
  CK_SESSION_HANDLE next_handle_ = 1;
  std::mutex labels_mu_;
  std::unordered_map<CK_SLOT_ID, std::string> labels_;
};

}  // namespace xks::fault_pkcs11
