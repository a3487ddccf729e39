#pragma once
// The PKCS#11 layer's error model: every CK_RV is mapped, by one exhaustive table (hsm_error.cc),
// to a small set of kinds the proxy can act on. The raw CK_RV travels with the error for logs only.
// Does not include pkcs11.h: a CK_RV is carried as `unsigned long` (which is what CK_RV is).

#include <string>
#include <string_view>

#include "base/result.h"

namespace xks::pkcs11 {

/// What went wrong, at the granularity the caller needs.
enum class HsmErrorKind {
  kNotFound,       ///< token, slot or key does not exist
  kBadCiphertext,  ///< authentication failed (tag, IV, AAD or ciphertext wrong) or bad length
  kKeyUsageNotPermitted,  ///< the key exists but may not do this (usage flag, type, mechanism)
  kUnavailable,           ///< device/token/session/login problem; retrying later may work
  kTimeout,               ///< a session could not be leased before the caller's deadline
  /// the HSM has no session to spare (CKR_SESSION_COUNT): back-pressure, retrying soon may work
  kBusy,
  kInvalidArgument,  ///< the caller passed something invalid (sizes, URI, PIN source, template)
  kInternal,         ///< anything else; a bug or an unexpected module answer
};

/// "NotFound", "BadCiphertext", ... (stable, for logs and tests).
std::string_view HsmErrorKindName(HsmErrorKind kind);

/// An error from the PKCS#11 layer. `message` is safe to log and to show to operators: it never
/// contains a PIN, plaintext, AAD or key material. `ck_rv` is 0 (CKR_OK) when the error did not
/// come from the module (e.g. kTimeout, kInvalidArgument found by this layer); `function` then is
/// "".
struct HsmError {
  HsmErrorKind kind = HsmErrorKind::kInternal;
  std::string message;
  unsigned long ck_rv = 0;    ///< the module's CK_RV, for logs only
  const char* function = "";  ///< the C_* function that returned it (static string)

  /// "C_Decrypt: CKR_ENCRYPTED_DATA_INVALID (0x40): <message>" — safe for logs.
  std::string ToLogString() const;
};

template <typename T>
using HsmResult = Result<T, HsmError>;

/// The one table: maps a non-OK CK_RV to its kind. Unknown and vendor-defined values map to
/// kInternal. Thread-safe (pure).
HsmErrorKind KindForCkRv(unsigned long ck_rv);

/// True for CK_RVs after which the whole module must be re-initialized (device error/removed, not
/// initialized, token not present, ...). Thread-safe (pure).
bool IsFatalCkRv(unsigned long ck_rv);

/// True for CK_RVs that mean "this session is unusable" (handle invalid, closed, user not logged
/// in): the session is discarded and the operation retried once on a fresh one. Thread-safe (pure).
bool IsSessionCkRv(unsigned long ck_rv);

/// "CKR_DEVICE_ERROR" etc.; "CKR_VENDOR_DEFINED+0x..." or "CKR_UNKNOWN" for others. Thread-safe.
std::string CkRvName(unsigned long ck_rv);

/// Builds an error that did not come from the module.
inline HsmError MakeHsmError(HsmErrorKind kind, std::string message) {
  return HsmError{kind, std::move(message), 0, ""};
}

}  // namespace xks::pkcs11
