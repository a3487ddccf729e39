#include "pkcs11/hsm_error.h"

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "pkcs11/ck_call.h"
#include "pkcs11/testing.h"

namespace xks::pkcs11 {
namespace {

struct CkRvRow {
  CK_RV rv;
  const char* name;
  HsmErrorKind kind;
  bool fatal;    // re-initialize the module
  bool session;  // discard the session, retry once
};

// The one table. Every CKR_ value the v2.40 header defines (plus the v3.0 ones the layer can meet)
// appears exactly once; hsm_error_test.cc checks it against an independent list.
constexpr CkRvRow kCkRvTable[] = {
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", HsmErrorKind::kNotFound, false, false},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", HsmErrorKind::kNotFound, false, false},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", HsmErrorKind::kNotFound, false, false},
    {CKR_WRAPPING_KEY_HANDLE_INVALID, "CKR_WRAPPING_KEY_HANDLE_INVALID", HsmErrorKind::kNotFound,
     false, false},
    {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", HsmErrorKind::kBadCiphertext, false,
     false},
    {CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE", HsmErrorKind::kBadCiphertext,
     false, false},
    {CKR_AEAD_DECRYPT_FAILED, "CKR_AEAD_DECRYPT_FAILED", HsmErrorKind::kBadCiphertext, false,
     false},
    {CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", HsmErrorKind::kBadCiphertext, false, false},
    {CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE", HsmErrorKind::kBadCiphertext, false,
     false},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
     HsmErrorKind::kKeyUsageNotPermitted, false, false},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", HsmErrorKind::kKeyUsageNotPermitted,
     false, false},
    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", HsmErrorKind::kKeyUsageNotPermitted, false, false},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", HsmErrorKind::kKeyUsageNotPermitted, false,
     false},
    {CKR_KEY_NOT_WRAPPABLE, "CKR_KEY_NOT_WRAPPABLE", HsmErrorKind::kKeyUsageNotPermitted, false,
     false},
    {CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE", HsmErrorKind::kKeyUsageNotPermitted, false,
     false},
    {CKR_KEY_INDIGESTIBLE, "CKR_KEY_INDIGESTIBLE", HsmErrorKind::kKeyUsageNotPermitted, false,
     false},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", HsmErrorKind::kKeyUsageNotPermitted, false,
     false},
    {CKR_INFORMATION_SENSITIVE, "CKR_INFORMATION_SENSITIVE", HsmErrorKind::kKeyUsageNotPermitted,
     false, false},
    {CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED", HsmErrorKind::kKeyUsageNotPermitted, false,
     false},
    {CKR_WRAPPING_KEY_TYPE_INCONSISTENT, "CKR_WRAPPING_KEY_TYPE_INCONSISTENT",
     HsmErrorKind::kKeyUsageNotPermitted, false, false},
    {CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT",
     HsmErrorKind::kKeyUsageNotPermitted, false, false},
    {CKR_CANCEL, "CKR_CANCEL", HsmErrorKind::kUnavailable, false, false},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", HsmErrorKind::kUnavailable, false, false},
    {CKR_CANT_LOCK, "CKR_CANT_LOCK", HsmErrorKind::kUnavailable, false, false},
    {CKR_NEED_TO_CREATE_THREADS, "CKR_NEED_TO_CREATE_THREADS", HsmErrorKind::kUnavailable, false,
     false},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", HsmErrorKind::kUnavailable, true, false},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", HsmErrorKind::kUnavailable, true, false},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", HsmErrorKind::kUnavailable, true, false},
    {CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED", HsmErrorKind::kUnavailable, false, false},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", HsmErrorKind::kUnavailable, false, false},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", HsmErrorKind::kUnavailable, false, false},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", HsmErrorKind::kUnavailable, false, false},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", HsmErrorKind::kUnavailable, false, true},
    // The HSM's own session cap, met while serving: a load signal, not a fault of the HSM.
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT", HsmErrorKind::kBusy, false, false},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", HsmErrorKind::kUnavailable, false,
     true},
    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY", HsmErrorKind::kUnavailable, false, false},
    {CKR_SESSION_EXISTS, "CKR_SESSION_EXISTS", HsmErrorKind::kUnavailable, false, false},
    {CKR_SESSION_READ_ONLY_EXISTS, "CKR_SESSION_READ_ONLY_EXISTS", HsmErrorKind::kUnavailable,
     false, false},
    {CKR_SESSION_READ_WRITE_SO_EXISTS, "CKR_SESSION_READ_WRITE_SO_EXISTS",
     HsmErrorKind::kUnavailable, false, false},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", HsmErrorKind::kUnavailable, true, false},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", HsmErrorKind::kUnavailable, true, false},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", HsmErrorKind::kUnavailable, false,
     false},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", HsmErrorKind::kUnavailable, false, true},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", HsmErrorKind::kUnavailable,
     false, false},
    {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
     HsmErrorKind::kUnavailable, false, false},
    {CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", HsmErrorKind::kUnavailable, false, false},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", HsmErrorKind::kUnavailable, true,
     false},
    {CKR_FIPS_SELF_TEST_FAILED, "CKR_FIPS_SELF_TEST_FAILED", HsmErrorKind::kUnavailable, false,
     false},
    {CKR_LIBRARY_LOAD_FAILED, "CKR_LIBRARY_LOAD_FAILED", HsmErrorKind::kUnavailable, false, false},
    {CKR_FUNCTION_REJECTED, "CKR_FUNCTION_REJECTED", HsmErrorKind::kUnavailable, false, false},
    {CKR_TOKEN_RESOURCE_EXCEEDED, "CKR_TOKEN_RESOURCE_EXCEEDED", HsmErrorKind::kUnavailable, false,
     false},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", HsmErrorKind::kInvalidArgument,
     false, false},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", HsmErrorKind::kInvalidArgument,
     false, false},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", HsmErrorKind::kInvalidArgument,
     false, false},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_PIN_TOO_WEAK, "CKR_PIN_TOO_WEAK", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_UNWRAPPING_KEY_SIZE_RANGE, "CKR_UNWRAPPING_KEY_SIZE_RANGE", HsmErrorKind::kInvalidArgument,
     false, false},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_WRAPPED_KEY_INVALID, "CKR_WRAPPED_KEY_INVALID", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_WRAPPED_KEY_LEN_RANGE, "CKR_WRAPPED_KEY_LEN_RANGE", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_WRAPPING_KEY_SIZE_RANGE, "CKR_WRAPPING_KEY_SIZE_RANGE", HsmErrorKind::kInvalidArgument,
     false, false},
    {CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", HsmErrorKind::kInvalidArgument, false, false},
    {CKR_PUBLIC_KEY_INVALID, "CKR_PUBLIC_KEY_INVALID", HsmErrorKind::kInvalidArgument, false,
     false},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", HsmErrorKind::kInternal, false, false},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", HsmErrorKind::kInternal, false, false},
    {CKR_NO_EVENT, "CKR_NO_EVENT", HsmErrorKind::kInternal, false, false},
    {CKR_FUNCTION_NOT_PARALLEL, "CKR_FUNCTION_NOT_PARALLEL", HsmErrorKind::kInternal, false, false},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", HsmErrorKind::kInternal, false,
     false},
    {CKR_KEY_NOT_NEEDED, "CKR_KEY_NOT_NEEDED", HsmErrorKind::kInternal, false, false},
    {CKR_KEY_CHANGED, "CKR_KEY_CHANGED", HsmErrorKind::kInternal, false, false},
    {CKR_KEY_NEEDED, "CKR_KEY_NEEDED", HsmErrorKind::kInternal, false, false},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", HsmErrorKind::kInternal, false, false},
    {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED", HsmErrorKind::kInternal, false,
     false},
    {CKR_SESSION_PARALLEL_NOT_SUPPORTED, "CKR_SESSION_PARALLEL_NOT_SUPPORTED",
     HsmErrorKind::kInternal, false, false},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", HsmErrorKind::kInternal, false,
     false},
    {CKR_USER_TOO_MANY_TYPES, "CKR_USER_TOO_MANY_TYPES", HsmErrorKind::kInternal, false, false},
    {CKR_RANDOM_SEED_NOT_SUPPORTED, "CKR_RANDOM_SEED_NOT_SUPPORTED", HsmErrorKind::kInternal, false,
     false},
    {CKR_SAVED_STATE_INVALID, "CKR_SAVED_STATE_INVALID", HsmErrorKind::kInternal, false, false},
    {CKR_STATE_UNSAVEABLE, "CKR_STATE_UNSAVEABLE", HsmErrorKind::kInternal, false, false},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED", HsmErrorKind::kInternal,
     false, false},
    {CKR_MUTEX_BAD, "CKR_MUTEX_BAD", HsmErrorKind::kInternal, false, false},
    {CKR_MUTEX_NOT_LOCKED, "CKR_MUTEX_NOT_LOCKED", HsmErrorKind::kInternal, false, false},
    {CKR_NEW_PIN_MODE, "CKR_NEW_PIN_MODE", HsmErrorKind::kInternal, false, false},
    {CKR_NEXT_OTP, "CKR_NEXT_OTP", HsmErrorKind::kInternal, false, false},
    {CKR_EXCEEDED_MAX_ITERATIONS, "CKR_EXCEEDED_MAX_ITERATIONS", HsmErrorKind::kInternal, false,
     false},
    {CKR_OPERATION_CANCEL_FAILED, "CKR_OPERATION_CANCEL_FAILED", HsmErrorKind::kInternal, false,
     false},
};

const CkRvRow* FindRow(unsigned long rv) {
  for (const CkRvRow& row : kCkRvTable) {
    if (row.rv == rv) return &row;
  }
  return nullptr;
}

}  // namespace

std::string_view HsmErrorKindName(HsmErrorKind kind) {
  switch (kind) {
    case HsmErrorKind::kNotFound:
      return "NotFound";
    case HsmErrorKind::kBadCiphertext:
      return "BadCiphertext";
    case HsmErrorKind::kKeyUsageNotPermitted:
      return "KeyUsageNotPermitted";
    case HsmErrorKind::kUnavailable:
      return "Unavailable";
    case HsmErrorKind::kTimeout:
      return "Timeout";
    case HsmErrorKind::kBusy:
      return "Busy";
    case HsmErrorKind::kInvalidArgument:
      return "InvalidArgument";
    case HsmErrorKind::kInternal:
      return "Internal";
  }
  return "Internal";
}

HsmErrorKind KindForCkRv(unsigned long ck_rv) {
  const CkRvRow* row = FindRow(ck_rv);
  return row != nullptr ? row->kind : HsmErrorKind::kInternal;
}

bool IsFatalCkRv(unsigned long ck_rv) {
  const CkRvRow* row = FindRow(ck_rv);
  return row != nullptr && row->fatal;
}

bool IsSessionCkRv(unsigned long ck_rv) {
  const CkRvRow* row = FindRow(ck_rv);
  return row != nullptr && row->session;
}

std::string CkRvName(unsigned long ck_rv) {
  if (ck_rv == CKR_OK) return "CKR_OK";
  if (const CkRvRow* row = FindRow(ck_rv)) return row->name;
  char buf[64];
  if (ck_rv >= CKR_VENDOR_DEFINED) {
    std::snprintf(buf, sizeof buf, "CKR_VENDOR_DEFINED+0x%lx", ck_rv - CKR_VENDOR_DEFINED);
  } else {
    std::snprintf(buf, sizeof buf, "CKR_UNKNOWN");
  }
  return buf;
}

unsigned long CkRvByNameForTesting(std::string_view name) {
  if (name == "CKR_OK") return CKR_OK;
  for (const CkRvRow& row : kCkRvTable) {
    if (name == row.name) return row.rv;
  }
  std::fprintf(stderr, "CkRvByNameForTesting: unknown %.*s\n", static_cast<int>(name.size()),
               name.data());
  std::abort();
}

std::string HsmError::ToLogString() const {
  std::string out;
  if (function != nullptr && *function != '\0') {
    char hex[32];
    std::snprintf(hex, sizeof hex, " (0x%lx)", ck_rv);
    out = std::string(function) + ": " + CkRvName(ck_rv) + hex + ": ";
  }
  out += std::string(HsmErrorKindName(kind)) + ": " + message;
  return out;
}

}  // namespace xks::pkcs11
