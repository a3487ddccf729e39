#pragma once
// The one choke point for Cryptoki calls: every C_* call made by this layer goes through CkCall,
// which runs the function, logs its name and any non-OK CK_RV (never its arguments) and returns a
// Result. Internal to pkcs11/ (includes pkcs11.h).

#include <p11-kit/pkcs11.h>

#include "pkcs11/hsm_error.h"

// PKCS#11 v3.0 values the v2.40 header (p11-kit 0.24) does not define.
#ifndef CKR_AEAD_DECRYPT_FAILED
#define CKR_AEAD_DECRYPT_FAILED 0x00000035UL
#endif
#ifndef CKR_TOKEN_RESOURCE_EXCEEDED
#define CKR_TOKEN_RESOURCE_EXCEEDED 0x00000201UL
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x00000202UL
#endif

namespace xks::pkcs11 {

/// Builds the error for a non-OK CK_RV returned by `function` (a static string).
HsmError ErrorFromCkRv(const char* function, CK_RV rv);

/// Logs "pkcs11: <function> -> <CKR name> (0x..)". Thread-safe.
void LogCkFailure(const char* function, CK_RV rv);

/// Calls `fn(args...)`; on a non-OK CK_RV logs it and returns the mapped error. `function` must be
/// a static string (the C_* name). Thread safety is that of the called function.
template <typename Fn, typename... Args>
HsmResult<void> CkCall(const char* function, Fn fn, Args... args) {
  if (fn == nullptr) {
    LogCkFailure(function, CKR_FUNCTION_NOT_SUPPORTED);
    return Fail(ErrorFromCkRv(function, CKR_FUNCTION_NOT_SUPPORTED));
  }
  const CK_RV rv = fn(args...);
  if (rv == CKR_OK) return {};
  LogCkFailure(function, rv);
  return Fail(ErrorFromCkRv(function, rv));
}

}  // namespace xks::pkcs11
