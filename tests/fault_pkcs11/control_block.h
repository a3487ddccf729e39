#pragma once
// The shared-memory layout between the fault-injecting PKCS#11 module (libxks_fault_pkcs11.so) and
// the test that steers it (tests/support/fault_control.h). Both map the same file (path in
// XKS_FAULT_PKCS11_CONTROL), so the test can steer a module loaded by another process, e.g. the
// xks-proxy of an e2e test.
//
// Ownership of the fields: the test side writes rules and commands, the module writes counters.
// Every field is a lock-free std::atomic (address-free, hence valid across processes). A rule is
// published with a sequence number (odd while it is being written, a seqlock): the module copies a
// rule and uses the copy only if the sequence did not change meanwhile.
//
// Does not include pkcs11.h: CK_RVs travel as std::uint64_t (CK_RV is unsigned long on LP64).

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xks::fault_pkcs11 {

/// Every PKCS#11 v2.40 function, in CK_FUNCTION_LIST order.
// clang-format off
#define XKS_FAULT_PKCS11_FUNCTIONS(X)                                                          \
  X(C_Initialize) X(C_Finalize) X(C_GetInfo) X(C_GetFunctionList) X(C_GetSlotList)             \
  X(C_GetSlotInfo) X(C_GetTokenInfo) X(C_GetMechanismList) X(C_GetMechanismInfo) X(C_InitToken) \
  X(C_InitPIN) X(C_SetPIN) X(C_OpenSession) X(C_CloseSession) X(C_CloseAllSessions)             \
  X(C_GetSessionInfo) X(C_GetOperationState) X(C_SetOperationState) X(C_Login) X(C_Logout)      \
  X(C_CreateObject) X(C_CopyObject) X(C_DestroyObject) X(C_GetObjectSize)                       \
  X(C_GetAttributeValue) X(C_SetAttributeValue) X(C_FindObjectsInit) X(C_FindObjects)          \
  X(C_FindObjectsFinal) X(C_EncryptInit) X(C_Encrypt) X(C_EncryptUpdate) X(C_EncryptFinal)      \
  X(C_DecryptInit) X(C_Decrypt) X(C_DecryptUpdate) X(C_DecryptFinal) X(C_DigestInit)           \
  X(C_Digest) X(C_DigestUpdate) X(C_DigestKey) X(C_DigestFinal) X(C_SignInit) X(C_Sign)         \
  X(C_SignUpdate) X(C_SignFinal) X(C_SignRecoverInit) X(C_SignRecover) X(C_VerifyInit)         \
  X(C_Verify) X(C_VerifyUpdate) X(C_VerifyFinal) X(C_VerifyRecoverInit) X(C_VerifyRecover)      \
  X(C_DigestEncryptUpdate) X(C_DecryptDigestUpdate) X(C_SignEncryptUpdate)                      \
  X(C_DecryptVerifyUpdate) X(C_GenerateKey) X(C_GenerateKeyPair) X(C_WrapKey) X(C_UnwrapKey)    \
  X(C_DeriveKey) X(C_SeedRandom) X(C_GenerateRandom) X(C_GetFunctionStatus) X(C_CancelFunction) \
  X(C_WaitForSlotEvent)
// clang-format on

/// A function a rule applies to: one PKCS#11 function (named like the C function), or a group.
enum class FaultFunction : std::uint32_t {
// clang-format off
#define XKS_FAULT_PKCS11_ENUM(name) name,
  XKS_FAULT_PKCS11_FUNCTIONS(XKS_FAULT_PKCS11_ENUM)
#undef XKS_FAULT_PKCS11_ENUM
  // clang-format on
  kCount,  ///< number of functions (not a selector)
  /// Every function except the life cycle (C_Initialize, C_Finalize, C_GetFunctionList), which
  /// rules reach only by name.
  kAllCalls = 0x100,
  /// C_EncryptInit .. C_GenerateRandom: ciphers, digests, signatures, key generation and wrapping,
  /// random numbers (a contiguous range of the function list).
  kAllCryptoCalls = 0x101,
};

inline constexpr std::size_t kFunctionCount = static_cast<std::size_t>(FaultFunction::kCount);

/// "C_Encrypt", "all calls", "all crypto calls".
std::string_view FunctionName(FaultFunction function);
/// The function named `name` ("C_Encrypt"), if any.
std::optional<FaultFunction> FunctionByName(std::string_view name);
/// Whether a rule for `selector` applies to a call of `function` (a single function).
bool SelectorMatches(FaultFunction selector, FaultFunction function);

/// What an armed rule does to a matching call.
enum class FaultAction : std::uint32_t {
  kNone = 0,
  kReturnRv = 1,       ///< return `rv` without calling the real module
  kAddLatency = 2,     ///< sleep `value` microseconds, then forward
  kHang = 3,           ///< block until the test releases hung calls, then forward
  kLimitSessions = 4,  ///< C_OpenSession returns CKR_SESSION_COUNT when `value` are open
};

/// A token label as the token reports it (32 bytes, blank padded), in four atomic words.
struct SharedLabel {
  std::array<std::atomic<std::uint64_t>, 4> words{};
};
inline constexpr std::size_t kLabelBytes = 32;

/// One fault rule. Written by the test side only; `matched` and `fired` by the module.
struct SharedRule {
  std::atomic<std::uint64_t> sequence{0};  ///< odd while being written; 0 = never written
  std::atomic<std::uint32_t> armed{0};     ///< 1: in force
  std::atomic<std::uint32_t> action{0};    ///< FaultAction
  std::atomic<std::uint32_t> function{0};  ///< FaultFunction (a function or a group)
  std::atomic<std::uint32_t> scoped{0};    ///< 1: only calls on the token named `label`
  SharedLabel label;
  std::atomic<std::uint64_t> rv{0};         ///< kReturnRv: the CK_RV to return
  std::atomic<std::uint64_t> value{0};      ///< kAddLatency: microseconds; kLimitSessions: count
  std::atomic<std::uint64_t> every_nth{1};  ///< fires on matching calls N, 2N, 3N, ... (0 as 1)
  std::atomic<std::uint64_t> times{0};      ///< fires at most this often; 0 = unlimited
  std::atomic<std::uint64_t> matched{0};    ///< matching calls seen (module)
  std::atomic<std::uint64_t> fired{0};      ///< times the fault was injected (module)
};

inline constexpr std::uint32_t kControlMagic = 0x58464b31;  // "XFK1"
inline constexpr std::uint32_t kControlVersion = 2;         // 2: generate_gcm_iv
inline constexpr std::size_t kMaxRules = 16;

/// The whole control file. Created zeroed by the test side, which writes `magic` last.
struct ControlBlock {
  std::atomic<std::uint32_t> magic{0};
  std::atomic<std::uint32_t> version{0};
  std::atomic<std::uint64_t> size{0};  ///< sizeof(ControlBlock) of the writer

  std::array<SharedRule, kMaxRules> rules;

  // Commands (test side). An epoch counter: the module acts once per increment, on its next call.
  std::atomic<std::uint64_t> release_epoch{0};        ///< +1: every hung call continues
  std::atomic<std::uint64_t> drop_sessions_epoch{0};  ///< +1: close all sessions (in scope)
  std::atomic<std::uint32_t> drop_sessions_scoped{0};
  SharedLabel drop_sessions_label;
  std::atomic<std::uint64_t> finalise_epoch{0};  ///< +1: C_Finalize the real module underneath
  /// 1: each session must log in itself (the module reports other sessions as public and refuses
  /// their object and crypto calls with CKR_USER_NOT_LOGGED_IN), like HSMs with per-session login.
  std::atomic<std::uint32_t> login_per_session{0};
  /// 1: the module makes up the GCM IV itself, like HSMs that generate it (in FIPS mode or
  /// always): C_EncryptInit with CKM_AES_GCM ignores the caller's 12-byte IV and writes a random
  /// one into CK_GCM_PARAMS.pIv, which the real module then encrypts under.
  std::atomic<std::uint32_t> generate_gcm_iv{0};

  // Counters (module). Every process that loads the module adds to them.
  std::array<std::atomic<std::uint64_t>, kFunctionCount> calls{};  ///< per function, all calls
  std::atomic<std::uint64_t> hung_now{0};              ///< calls blocked in a hang right now
  std::atomic<std::uint64_t> faults_injected{0};       ///< rules fired + commands carried out
  std::atomic<std::uint64_t> sessions_open{0};         ///< sessions open through the module
  std::atomic<std::uint64_t> sessions_dropped{0};      ///< sessions closed by DropSessions
  std::atomic<std::uint64_t> finalised_underneath{0};  ///< times the real module was finalised
  std::atomic<std::uint64_t> gcm_ivs_generated{0};     ///< IVs written by generate_gcm_iv
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

/// Packs a label (at most 32 bytes; longer ones are cut) into `out`, NUL padded.
void StoreLabel(SharedLabel& out, std::string_view label);
/// Whether `label` equals the stored one (trailing blanks and NULs of either side ignored).
bool LabelEquals(const SharedLabel& stored, std::string_view label);

}  // namespace xks::fault_pkcs11
