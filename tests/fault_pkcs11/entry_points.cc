// The PKCS#11 v2.40 entry points of libxks_fault_pkcs11.so. C_GetFunctionList is the only exported
// symbol; every other function is reached through the list it returns. Each call runs through
// Dispatch: count it, carry out pending commands, resolve its token (slot or virtual session),
// inject faults, then forward to the real module with the real session handle.

#include <sys/random.h>

#include <string>

#include "tests/fault_pkcs11/fault_module.h"

namespace xks::fault_pkcs11 {
namespace {

enum class Target { kNone, kSlot, kSession };

// Object and crypto calls, which need a logged-in session (for RequireLoginPerSession).
bool NeedsOwnLogin(FaultFunction f) {
  return (f >= FaultFunction::C_CreateObject && f <= FaultFunction::C_FindObjectsFinal) ||
         SelectorMatches(FaultFunction::kAllCryptoCalls, f);
}

// `forward(real_session, token_label)` makes the real call.
template <typename Forward>
CK_RV Dispatch(FaultFunction function, Target target, CK_ULONG id, Forward&& forward) {
  FaultModule& m = FaultModule::Get();
  m.CountCall(function);
  m.ApplyCommands();
  if (m.finalised_underneath()) return CKR_CRYPTOKI_NOT_INITIALIZED;
  std::optional<std::string> label;
  if (target == Target::kSlot) label = m.LabelOf(id);
  if (target == Target::kSession) {
    const auto session = m.FindSession(id);
    if (!session || session->dropped) return CKR_SESSION_HANDLE_INVALID;
    if (m.block().login_per_session.load() != 0 && !session->logged_in && NeedsOwnLogin(function)) {
      return CKR_USER_NOT_LOGGED_IN;
    }
    label = session->label;
  }
  if (CK_RV rv = m.InjectFaults(function, label); rv != CKR_OK) return rv;
  std::shared_lock calls(m.real_calls());
  if (m.finalised_underneath()) return CKR_CRYPTOKI_NOT_INITIALIZED;
  CK_SESSION_HANDLE real = CK_INVALID_HANDLE;
  if (target == Target::kSession) {
    // Again: the session may have been dropped while this call hung or slept.
    const auto session = m.FindSession(id);
    if (!session || session->dropped) return CKR_SESSION_HANDLE_INVALID;
    real = session->real;
  }
  return forward(real, label.value_or(std::string()));
}

// The forwarding wrapper of one function whose first parameter is a slot id, a session handle or
// (Target::kNone) anything else, generated from the function's pointer type.
template <FaultFunction F, auto Member, Target T, typename Pointer>
struct Entry;
template <FaultFunction F, auto Member, Target T, typename First, typename... Rest>
struct Entry<F, Member, T, CK_RV (*)(First, Rest...)> {
  static CK_RV Call(First first, Rest... rest) {
    CK_ULONG id = 0;
    if constexpr (T != Target::kNone) id = first;
    return Dispatch(F, T, id, [&](CK_SESSION_HANDLE real, const std::string&) {
      CK_FUNCTION_LIST& list = FaultModule::Get().real();
      if constexpr (T == Target::kSession) {
        return (list.*Member)(real, rest...);
      } else {
        return (list.*Member)(first, rest...);
      }
    });
  }
};

#define XKS_FAULT_ENTRY(name, target) \
  (&Entry<FaultFunction::name, &CK_FUNCTION_LIST::name, Target::target, CK_##name>::Call)

CK_RV Initialize(void* init_args) { return FaultModule::Get().Initialize(init_args); }
CK_RV Finalize(void* reserved) { return FaultModule::Get().Finalize(reserved); }
CK_RV GetFunctionList(CK_FUNCTION_LIST** list);

CK_RV GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
  const CK_RV rv = XKS_FAULT_ENTRY(C_GetTokenInfo, kSlot)(slot, info);
  if (rv == CKR_OK && info != nullptr) FaultModule::Get().RememberLabel(slot, *info);
  return rv;
}

CK_RV InitToken(CK_SLOT_ID slot, CK_UTF8CHAR* pin, CK_ULONG pin_len, CK_UTF8CHAR* label) {
  const CK_RV rv = XKS_FAULT_ENTRY(C_InitToken, kSlot)(slot, pin, pin_len, label);
  if (rv == CKR_OK) FaultModule::Get().ForgetLabel(slot);  // relabelled
  return rv;
}

CK_RV OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void*, CK_NOTIFY, CK_SESSION_HANDLE* session) {
  return Dispatch(FaultFunction::C_OpenSession, Target::kSlot, slot,
                  [&](CK_SESSION_HANDLE, const std::string& label) {
                    return FaultModule::Get().OpenSession(slot, label, flags, session);
                  });
}

CK_RV CloseSession(CK_SESSION_HANDLE session) {
  FaultModule& m = FaultModule::Get();
  const CK_RV rv = Dispatch(FaultFunction::C_CloseSession, Target::kSession, session,
                            [&](CK_SESSION_HANDLE real, const std::string&) {
                              const CK_RV closed = m.real().C_CloseSession(real);
                              if (closed == CKR_OK) m.ForgetSession(session);
                              return closed;
                            });
  if (rv == CKR_SESSION_HANDLE_INVALID) m.ForgetSession(session);  // e.g. dropped: now gone
  return rv;
}

CK_RV CloseAllSessions(CK_SLOT_ID slot) {
  const CK_RV rv = XKS_FAULT_ENTRY(C_CloseAllSessions, kSlot)(slot);
  if (rv == CKR_OK) FaultModule::Get().ForgetSessionsOfSlot(slot);
  return rv;
}

CK_RV Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR* pin, CK_ULONG pin_len) {
  FaultModule& m = FaultModule::Get();
  CK_RV rv = XKS_FAULT_ENTRY(C_Login, kSession)(session, user, pin, pin_len);
  // With per-session login the token may already be logged in through another session; this one
  // still counts as logging in now.
  if (rv == CKR_USER_ALREADY_LOGGED_IN && m.block().login_per_session.load() != 0) {
    const auto s = m.FindSession(session);
    if (s && !s->logged_in) rv = CKR_OK;
  }
  if (rv == CKR_OK) m.SetLoggedIn(session, true);
  return rv;
}

CK_RV Logout(CK_SESSION_HANDLE session) {
  const CK_RV rv = XKS_FAULT_ENTRY(C_Logout, kSession)(session);
  if (rv == CKR_OK) FaultModule::Get().SetLoggedIn(session, false);
  return rv;
}

CK_RV GetSessionInfo(CK_SESSION_HANDLE session, CK_SESSION_INFO* info) {
  FaultModule& m = FaultModule::Get();
  const CK_RV rv = XKS_FAULT_ENTRY(C_GetSessionInfo, kSession)(session, info);
  if (rv != CKR_OK || info == nullptr || m.block().login_per_session.load() == 0) return rv;
  const auto s = m.FindSession(session);
  if (s && !s->logged_in) {
    if (info->state == CKS_RW_USER_FUNCTIONS) info->state = CKS_RW_PUBLIC_SESSION;
    if (info->state == CKS_RO_USER_FUNCTIONS) info->state = CKS_RO_PUBLIC_SESSION;
  }
  return rv;
}

// With generate_gcm_iv: a random IV into the caller's CK_GCM_PARAMS before the real module sees
// them, as HSMs that generate the IV do. Only 12-byte IVs are emulated; other lengths are refused.
CK_RV OverwriteGcmIv(CK_MECHANISM* mechanism) {
  if (mechanism == nullptr || mechanism->mechanism != CKM_AES_GCM ||
      mechanism->pParameter == nullptr || mechanism->ulParameterLen != sizeof(CK_GCM_PARAMS)) {
    return CKR_OK;
  }
  auto* params = static_cast<CK_GCM_PARAMS*>(mechanism->pParameter);
  constexpr CK_ULONG kIvBytes = 12;
  if (params->pIv == nullptr || params->ulIvLen != kIvBytes) return CKR_MECHANISM_PARAM_INVALID;
  if (getrandom(params->pIv, kIvBytes, 0) != static_cast<ssize_t>(kIvBytes)) {
    return CKR_FUNCTION_FAILED;
  }
  params->ulIvBits = kIvBytes * 8;
  FaultModule::Get().block().gcm_ivs_generated.fetch_add(1);
  return CKR_OK;
}

CK_RV EncryptInit(CK_SESSION_HANDLE session, CK_MECHANISM* mechanism, CK_OBJECT_HANDLE key) {
  return Dispatch(FaultFunction::C_EncryptInit, Target::kSession, session,
                  [&](CK_SESSION_HANDLE real, const std::string&) {
                    FaultModule& m = FaultModule::Get();
                    if (m.block().generate_gcm_iv.load() != 0) {
                      if (CK_RV rv = OverwriteGcmIv(mechanism); rv != CKR_OK) return rv;
                    }
                    return m.real().C_EncryptInit(real, mechanism, key);
                  });
}

// The functions whose first parameter is a session and that need nothing but forwarding.
void SetSessionEntries(CK_FUNCTION_LIST& l) {
  l.C_InitPIN = XKS_FAULT_ENTRY(C_InitPIN, kSession);
  l.C_SetPIN = XKS_FAULT_ENTRY(C_SetPIN, kSession);
  l.C_GetOperationState = XKS_FAULT_ENTRY(C_GetOperationState, kSession);
  l.C_SetOperationState = XKS_FAULT_ENTRY(C_SetOperationState, kSession);
  l.C_CreateObject = XKS_FAULT_ENTRY(C_CreateObject, kSession);
  l.C_CopyObject = XKS_FAULT_ENTRY(C_CopyObject, kSession);
  l.C_DestroyObject = XKS_FAULT_ENTRY(C_DestroyObject, kSession);
  l.C_GetObjectSize = XKS_FAULT_ENTRY(C_GetObjectSize, kSession);
  l.C_GetAttributeValue = XKS_FAULT_ENTRY(C_GetAttributeValue, kSession);
  l.C_SetAttributeValue = XKS_FAULT_ENTRY(C_SetAttributeValue, kSession);
  l.C_FindObjectsInit = XKS_FAULT_ENTRY(C_FindObjectsInit, kSession);
  l.C_FindObjects = XKS_FAULT_ENTRY(C_FindObjects, kSession);
  l.C_FindObjectsFinal = XKS_FAULT_ENTRY(C_FindObjectsFinal, kSession);
  l.C_Encrypt = XKS_FAULT_ENTRY(C_Encrypt, kSession);
  l.C_EncryptUpdate = XKS_FAULT_ENTRY(C_EncryptUpdate, kSession);
  l.C_EncryptFinal = XKS_FAULT_ENTRY(C_EncryptFinal, kSession);
  l.C_DecryptInit = XKS_FAULT_ENTRY(C_DecryptInit, kSession);
  l.C_Decrypt = XKS_FAULT_ENTRY(C_Decrypt, kSession);
  l.C_DecryptUpdate = XKS_FAULT_ENTRY(C_DecryptUpdate, kSession);
  l.C_DecryptFinal = XKS_FAULT_ENTRY(C_DecryptFinal, kSession);
  l.C_DigestInit = XKS_FAULT_ENTRY(C_DigestInit, kSession);
  l.C_Digest = XKS_FAULT_ENTRY(C_Digest, kSession);
  l.C_DigestUpdate = XKS_FAULT_ENTRY(C_DigestUpdate, kSession);
  l.C_DigestKey = XKS_FAULT_ENTRY(C_DigestKey, kSession);
  l.C_DigestFinal = XKS_FAULT_ENTRY(C_DigestFinal, kSession);
  l.C_SignInit = XKS_FAULT_ENTRY(C_SignInit, kSession);
  l.C_Sign = XKS_FAULT_ENTRY(C_Sign, kSession);
  l.C_SignUpdate = XKS_FAULT_ENTRY(C_SignUpdate, kSession);
  l.C_SignFinal = XKS_FAULT_ENTRY(C_SignFinal, kSession);
  l.C_SignRecoverInit = XKS_FAULT_ENTRY(C_SignRecoverInit, kSession);
  l.C_SignRecover = XKS_FAULT_ENTRY(C_SignRecover, kSession);
  l.C_VerifyInit = XKS_FAULT_ENTRY(C_VerifyInit, kSession);
  l.C_Verify = XKS_FAULT_ENTRY(C_Verify, kSession);
  l.C_VerifyUpdate = XKS_FAULT_ENTRY(C_VerifyUpdate, kSession);
  l.C_VerifyFinal = XKS_FAULT_ENTRY(C_VerifyFinal, kSession);
  l.C_VerifyRecoverInit = XKS_FAULT_ENTRY(C_VerifyRecoverInit, kSession);
  l.C_VerifyRecover = XKS_FAULT_ENTRY(C_VerifyRecover, kSession);
  l.C_DigestEncryptUpdate = XKS_FAULT_ENTRY(C_DigestEncryptUpdate, kSession);
  l.C_DecryptDigestUpdate = XKS_FAULT_ENTRY(C_DecryptDigestUpdate, kSession);
  l.C_SignEncryptUpdate = XKS_FAULT_ENTRY(C_SignEncryptUpdate, kSession);
  l.C_DecryptVerifyUpdate = XKS_FAULT_ENTRY(C_DecryptVerifyUpdate, kSession);
  l.C_GenerateKey = XKS_FAULT_ENTRY(C_GenerateKey, kSession);
  l.C_GenerateKeyPair = XKS_FAULT_ENTRY(C_GenerateKeyPair, kSession);
  l.C_WrapKey = XKS_FAULT_ENTRY(C_WrapKey, kSession);
  l.C_UnwrapKey = XKS_FAULT_ENTRY(C_UnwrapKey, kSession);
  l.C_DeriveKey = XKS_FAULT_ENTRY(C_DeriveKey, kSession);
  l.C_SeedRandom = XKS_FAULT_ENTRY(C_SeedRandom, kSession);
  l.C_GenerateRandom = XKS_FAULT_ENTRY(C_GenerateRandom, kSession);
  l.C_GetFunctionStatus = XKS_FAULT_ENTRY(C_GetFunctionStatus, kSession);
  l.C_CancelFunction = XKS_FAULT_ENTRY(C_CancelFunction, kSession);
}

CK_FUNCTION_LIST MakeFunctionList() {
  CK_FUNCTION_LIST l{};
  l.version = {2, 40};
  l.C_Initialize = &Initialize;
  l.C_Finalize = &Finalize;
  l.C_GetInfo = XKS_FAULT_ENTRY(C_GetInfo, kNone);
  l.C_GetFunctionList = &GetFunctionList;
  l.C_GetSlotList = XKS_FAULT_ENTRY(C_GetSlotList, kNone);
  l.C_GetSlotInfo = XKS_FAULT_ENTRY(C_GetSlotInfo, kSlot);
  l.C_GetTokenInfo = &GetTokenInfo;
  l.C_WaitForSlotEvent = XKS_FAULT_ENTRY(C_WaitForSlotEvent, kNone);
  l.C_GetMechanismList = XKS_FAULT_ENTRY(C_GetMechanismList, kSlot);
  l.C_GetMechanismInfo = XKS_FAULT_ENTRY(C_GetMechanismInfo, kSlot);
  l.C_InitToken = &InitToken;
  l.C_OpenSession = &OpenSession;
  l.C_CloseSession = &CloseSession;
  l.C_CloseAllSessions = &CloseAllSessions;
  l.C_GetSessionInfo = &GetSessionInfo;
  l.C_Login = &Login;
  l.C_Logout = &Logout;
  l.C_EncryptInit = &EncryptInit;
  SetSessionEntries(l);
  return l;
}

CK_FUNCTION_LIST function_list = MakeFunctionList();

CK_RV GetFunctionList(CK_FUNCTION_LIST** list) {
  if (list == nullptr) return CKR_ARGUMENTS_BAD;
  if (CK_RV rv = FaultModule::Get().Setup(); rv != CKR_OK) return rv;
  FaultModule::Get().CountCall(FaultFunction::C_GetFunctionList);
  *list = &function_list;
  return CKR_OK;
}

// At unload (or exit): hung calls must not keep a thread blocked in code that is going away.
__attribute__((destructor)) void ReleaseHungCallsAtUnload() { FaultModule::Get().Shutdown(); }

}  // namespace
}  // namespace xks::fault_pkcs11

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list) {
  return xks::fault_pkcs11::GetFunctionList(list);
}
