#pragma once
// The test side of the fault-injecting PKCS#11 module (tests/fault_pkcs11, libxks_fault_pkcs11.so;
// docs/dev/fault-pkcs11.md). A FaultControl owns a control file in a temp directory; every module
// instance started with its Environment() (in this process or a child such as xks-proxy) obeys the
// rules posted here and reports counters back.
//
//   auto faults = FaultControl::Create();             // forwards to SoftHSM by default
//   faults->ExportEnvironment();                      // this process; or Environment() for a child
//   auto module = pkcs11::OpenModule(faults->module_config()).value();
//   faults->Fail(FaultFunction::C_Encrypt, CKR_DEVICE_ERROR, {.every_nth = 3});
//   faults->Hang(FaultFunction::C_Decrypt, {.token_label = "alpha"});
//   ASSERT_TRUE(faults->WaitForHungCalls(1));  ...  faults->Release();
//
// Rules apply from the module's next call; commands (DropSessions, FinaliseUnderneath) are carried
// out by the module at the start of its next call. Thread safety: the methods may be called from
// any thread, but only one FaultControl should steer a control file.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pkcs11/hsm.h"
#include "tests/fault_pkcs11/control_block.h"

namespace xks::testing {

using fault_pkcs11::FaultFunction;

/// When a rule fires. Default: every matching call, for ever, on every token. Combine:
/// Trigger::FirstCalls(1).OnToken("beta").
struct Trigger {
  std::uint64_t every_nth = 1;  ///< fire on matching calls N, 2N, 3N, ...
  std::uint64_t times = 0;      ///< fire at most this often (0: unlimited)
  std::string token_label;      ///< only calls on this token (slot or session), "" = every token

  static Trigger EveryNth(std::uint64_t n) { return Trigger().Every(n); }
  static Trigger FirstCalls(std::uint64_t n) { return Trigger().AtMost(n); }
  static Trigger Token(std::string label) { return Trigger().OnToken(std::move(label)); }
  Trigger Every(std::uint64_t n) && {
    every_nth = n;
    return std::move(*this);
  }
  Trigger AtMost(std::uint64_t n) && {
    times = n;
    return std::move(*this);
  }
  Trigger OnToken(std::string label) && {
    token_label = std::move(label);
    return std::move(*this);
  }
};

class FaultControl {
 public:
  /// A rule's index, for Fired() and Remove().
  using RuleId = int;

  /// Creates the control file (in a MakeTempTestDir directory) for a module forwarding to
  /// `target_module` (default: SoftHSM). Aborts on failure (a broken test environment).
  static std::unique_ptr<FaultControl> Create(std::string target_module = {});
  /// A control file at `path` (which must not exist yet) that outlives this object, for shell
  /// tests (tools: xks_fault_pkcs11_ctl). nullptr and `*error` on failure.
  static std::unique_ptr<FaultControl> CreateFile(const std::string& path, std::string* error);
  /// Steers an existing control file (made by Create or CreateFile) without owning it: the
  /// destructor leaves its rules and the file alone. nullptr and `*error` on failure.
  static std::unique_ptr<FaultControl> Attach(const std::string& path, std::string* error);
  /// Restores the environment ExportEnvironment changed. For Create(): also releases hung calls,
  /// clears the rules and removes the file.
  ~FaultControl();
  FaultControl(const FaultControl&) = delete;
  FaultControl& operator=(const FaultControl&) = delete;

  /// Path of libxks_fault_pkcs11.so in this build.
  static std::string ModulePath();
  /// XKS_FAULT_PKCS11_TARGET and XKS_FAULT_PKCS11_CONTROL, for a child process's environment.
  std::vector<std::pair<std::string, std::string>> Environment() const;
  /// setenv()s Environment() in this process (restored by the destructor). Not thread-safe.
  void ExportEnvironment();
  /// {module = ModulePath()}: load it like any vendor module.
  pkcs11::ModuleConfig module_config() const;
  const std::string& control_path() const { return path_; }

  // ---- Rules (each takes one of kMaxRules slots until Remove or Clear) ----
  /// Matching calls return `ck_rv` without reaching the real module.
  RuleId Fail(FaultFunction function, unsigned long ck_rv, Trigger trigger = {});
  /// Matching calls sleep `latency` first, then run.
  RuleId AddLatency(FaultFunction function, std::chrono::microseconds latency,
                    Trigger trigger = {});
  /// Matching calls block until Release() (or the module's C_Finalize/unload: they then return
  /// CKR_CRYPTOKI_NOT_INITIALIZED), then run.
  RuleId Hang(FaultFunction function, Trigger trigger = {});
  /// Every call returns CKR_DEVICE_REMOVED until the rule is removed: all but the life cycle, or
  /// with `token_label` those on that token's slot and sessions (C_GetSlotList still works).
  RuleId DeviceRemoved(std::string token_label = {});
  /// C_Login returns `ck_rv` (e.g. CKR_PIN_INCORRECT, CKR_PIN_LOCKED).
  RuleId RefuseLogin(unsigned long ck_rv, Trigger trigger = {});
  /// C_OpenSession returns CKR_SESSION_COUNT while `max_open` sessions (on `token_label`, or in
  /// all) are open through the module.
  RuleId LimitSessions(std::size_t max_open, std::string token_label = {});
  void Remove(RuleId rule);

  // ---- Commands and modes ----
  /// Hung calls continue (and run); hang rules are removed, so later calls do not hang.
  void Release();
  /// The module closes every open session (on `token_label`) underneath the caller; their handles
  /// answer CKR_SESSION_HANDLE_INVALID from then on (never reused).
  void DropSessions(std::string token_label = {});
  /// The module C_Finalizes the real module; every call returns CKR_CRYPTOKI_NOT_INITIALIZED until
  /// the caller calls C_Initialize again.
  void FinaliseUnderneath();
  /// Each session must C_Login itself (as on HSMs whose login is per session): others report a
  /// public session state and get CKR_USER_NOT_LOGGED_IN for object and crypto calls.
  void RequireLoginPerSession(bool required = true);
  /// The module generates the GCM IV (as some HSMs do): C_EncryptInit with CKM_AES_GCM and a
  /// 12-byte IV gets a random IV written into CK_GCM_PARAMS.pIv, over the caller's, and encrypts
  /// under it; other IV lengths get CKR_MECHANISM_PARAM_INVALID. Counted by GcmIvsGenerated().
  void GenerateGcmIvInHsm(bool generate = true);
  /// Removes every rule, releases hung calls, turns RequireLoginPerSession and GenerateGcmIvInHsm
  /// off.
  void Clear();

  // ---- Counters (from every process using this control file) ----
  std::uint64_t Calls(FaultFunction function) const;  ///< a single function
  std::uint64_t HungCalls() const;
  std::uint64_t FaultsInjected() const;
  std::uint64_t Fired(RuleId rule) const;
  std::uint64_t SessionsOpen() const;
  std::uint64_t SessionsDropped() const;
  std::uint64_t TimesFinalisedUnderneath() const;
  std::uint64_t GcmIvsGenerated() const;  ///< IVs the module made up (GenerateGcmIvInHsm)
  /// Polls (1 ms) until HungCalls() >= n; false after `timeout`.
  bool WaitForHungCalls(std::uint64_t n,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  /// Polls until Calls(function) >= n; false after `timeout`.
  bool WaitForCalls(FaultFunction function, std::uint64_t n,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  FaultControl() = default;
  static std::unique_ptr<FaultControl> Open(const std::string& path, bool create,
                                            std::string* error);
  RuleId AddRule(fault_pkcs11::FaultAction action, FaultFunction function, std::uint64_t rv,
                 std::uint64_t value, const Trigger& trigger);

  std::string dir_;  // set by Create(): this object owns the file and its directory
  std::string path_, target_;
  fault_pkcs11::ControlBlock* block_ = nullptr;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_environment_;
};

}  // namespace xks::testing
