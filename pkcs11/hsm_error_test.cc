// The CK_RV table: every value the v2.40 header defines (plus the v3.0 ones the layer meets) maps
// to the kind the brief assigns it; fatal and session-level sets; names; unknown values.

#include "pkcs11/hsm_error.h"

#include <gtest/gtest.h>

#include <set>

#include "pkcs11/ck_call.h"
#include "pkcs11/testing.h"

namespace xks::pkcs11 {
namespace {

struct Expected {
  CK_RV rv;
  const char* name;
  HsmErrorKind kind;
};

// Written independently of hsm_error.cc's table (same categories, separate list).
const Expected kExpected[] = {
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", HsmErrorKind::kNotFound},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", HsmErrorKind::kNotFound},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", HsmErrorKind::kNotFound},
    {CKR_WRAPPING_KEY_HANDLE_INVALID, "CKR_WRAPPING_KEY_HANDLE_INVALID", HsmErrorKind::kNotFound},
    {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", HsmErrorKind::kBadCiphertext},
    {CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE", HsmErrorKind::kBadCiphertext},
    {CKR_AEAD_DECRYPT_FAILED, "CKR_AEAD_DECRYPT_FAILED", HsmErrorKind::kBadCiphertext},
    {CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", HsmErrorKind::kBadCiphertext},
    {CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE", HsmErrorKind::kBadCiphertext},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
     HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_KEY_NOT_WRAPPABLE, "CKR_KEY_NOT_WRAPPABLE", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_KEY_INDIGESTIBLE, "CKR_KEY_INDIGESTIBLE", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_INFORMATION_SENSITIVE, "CKR_INFORMATION_SENSITIVE", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED", HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_WRAPPING_KEY_TYPE_INCONSISTENT, "CKR_WRAPPING_KEY_TYPE_INCONSISTENT",
     HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT",
     HsmErrorKind::kKeyUsageNotPermitted},
    {CKR_CANCEL, "CKR_CANCEL", HsmErrorKind::kUnavailable},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", HsmErrorKind::kUnavailable},
    {CKR_CANT_LOCK, "CKR_CANT_LOCK", HsmErrorKind::kUnavailable},
    {CKR_NEED_TO_CREATE_THREADS, "CKR_NEED_TO_CREATE_THREADS", HsmErrorKind::kUnavailable},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", HsmErrorKind::kUnavailable},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", HsmErrorKind::kUnavailable},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", HsmErrorKind::kUnavailable},
    {CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED", HsmErrorKind::kUnavailable},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", HsmErrorKind::kUnavailable},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", HsmErrorKind::kUnavailable},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", HsmErrorKind::kUnavailable},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", HsmErrorKind::kUnavailable},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT", HsmErrorKind::kBusy},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", HsmErrorKind::kUnavailable},
    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY", HsmErrorKind::kUnavailable},
    {CKR_SESSION_EXISTS, "CKR_SESSION_EXISTS", HsmErrorKind::kUnavailable},
    {CKR_SESSION_READ_ONLY_EXISTS, "CKR_SESSION_READ_ONLY_EXISTS", HsmErrorKind::kUnavailable},
    {CKR_SESSION_READ_WRITE_SO_EXISTS, "CKR_SESSION_READ_WRITE_SO_EXISTS",
     HsmErrorKind::kUnavailable},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", HsmErrorKind::kUnavailable},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", HsmErrorKind::kUnavailable},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", HsmErrorKind::kUnavailable},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", HsmErrorKind::kUnavailable},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", HsmErrorKind::kUnavailable},
    {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
     HsmErrorKind::kUnavailable},
    {CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", HsmErrorKind::kUnavailable},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", HsmErrorKind::kUnavailable},
    {CKR_FIPS_SELF_TEST_FAILED, "CKR_FIPS_SELF_TEST_FAILED", HsmErrorKind::kUnavailable},
    {CKR_LIBRARY_LOAD_FAILED, "CKR_LIBRARY_LOAD_FAILED", HsmErrorKind::kUnavailable},
    {CKR_FUNCTION_REJECTED, "CKR_FUNCTION_REJECTED", HsmErrorKind::kUnavailable},
    {CKR_TOKEN_RESOURCE_EXCEEDED, "CKR_TOKEN_RESOURCE_EXCEEDED", HsmErrorKind::kUnavailable},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", HsmErrorKind::kInvalidArgument},
    {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY", HsmErrorKind::kInvalidArgument},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", HsmErrorKind::kInvalidArgument},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", HsmErrorKind::kInvalidArgument},
    {CKR_PIN_TOO_WEAK, "CKR_PIN_TOO_WEAK", HsmErrorKind::kInvalidArgument},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", HsmErrorKind::kInvalidArgument},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", HsmErrorKind::kInvalidArgument},
    {CKR_UNWRAPPING_KEY_SIZE_RANGE, "CKR_UNWRAPPING_KEY_SIZE_RANGE",
     HsmErrorKind::kInvalidArgument},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_WRAPPED_KEY_INVALID, "CKR_WRAPPED_KEY_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_WRAPPED_KEY_LEN_RANGE, "CKR_WRAPPED_KEY_LEN_RANGE", HsmErrorKind::kInvalidArgument},
    {CKR_WRAPPING_KEY_SIZE_RANGE, "CKR_WRAPPING_KEY_SIZE_RANGE", HsmErrorKind::kInvalidArgument},
    {CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", HsmErrorKind::kInvalidArgument},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", HsmErrorKind::kInvalidArgument},
    {CKR_PUBLIC_KEY_INVALID, "CKR_PUBLIC_KEY_INVALID", HsmErrorKind::kInvalidArgument},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", HsmErrorKind::kInternal},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", HsmErrorKind::kInternal},
    {CKR_NO_EVENT, "CKR_NO_EVENT", HsmErrorKind::kInternal},
    {CKR_FUNCTION_NOT_PARALLEL, "CKR_FUNCTION_NOT_PARALLEL", HsmErrorKind::kInternal},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", HsmErrorKind::kInternal},
    {CKR_KEY_NOT_NEEDED, "CKR_KEY_NOT_NEEDED", HsmErrorKind::kInternal},
    {CKR_KEY_CHANGED, "CKR_KEY_CHANGED", HsmErrorKind::kInternal},
    {CKR_KEY_NEEDED, "CKR_KEY_NEEDED", HsmErrorKind::kInternal},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", HsmErrorKind::kInternal},
    {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED", HsmErrorKind::kInternal},
    {CKR_SESSION_PARALLEL_NOT_SUPPORTED, "CKR_SESSION_PARALLEL_NOT_SUPPORTED",
     HsmErrorKind::kInternal},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", HsmErrorKind::kInternal},
    {CKR_USER_TOO_MANY_TYPES, "CKR_USER_TOO_MANY_TYPES", HsmErrorKind::kInternal},
    {CKR_RANDOM_SEED_NOT_SUPPORTED, "CKR_RANDOM_SEED_NOT_SUPPORTED", HsmErrorKind::kInternal},
    {CKR_SAVED_STATE_INVALID, "CKR_SAVED_STATE_INVALID", HsmErrorKind::kInternal},
    {CKR_STATE_UNSAVEABLE, "CKR_STATE_UNSAVEABLE", HsmErrorKind::kInternal},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED", HsmErrorKind::kInternal},
    {CKR_MUTEX_BAD, "CKR_MUTEX_BAD", HsmErrorKind::kInternal},
    {CKR_MUTEX_NOT_LOCKED, "CKR_MUTEX_NOT_LOCKED", HsmErrorKind::kInternal},
    {CKR_NEW_PIN_MODE, "CKR_NEW_PIN_MODE", HsmErrorKind::kInternal},
    {CKR_NEXT_OTP, "CKR_NEXT_OTP", HsmErrorKind::kInternal},
    {CKR_EXCEEDED_MAX_ITERATIONS, "CKR_EXCEEDED_MAX_ITERATIONS", HsmErrorKind::kInternal},
    {CKR_OPERATION_CANCEL_FAILED, "CKR_OPERATION_CANCEL_FAILED", HsmErrorKind::kInternal},
};

// Every CKR_ macro of p11-kit's v2.40 header (except CKR_OK / CKR_VENDOR_DEFINED).
// clang-format off
#define XKS_ALL_HEADER_CKRS(X) \
  X(CANCEL) \
  X(HOST_MEMORY) \
  X(SLOT_ID_INVALID) \
  X(GENERAL_ERROR) \
  X(FUNCTION_FAILED) \
  X(ARGUMENTS_BAD) \
  X(NO_EVENT) \
  X(NEED_TO_CREATE_THREADS) \
  X(CANT_LOCK) \
  X(ATTRIBUTE_READ_ONLY) \
  X(ATTRIBUTE_SENSITIVE) \
  X(ATTRIBUTE_TYPE_INVALID) \
  X(ATTRIBUTE_VALUE_INVALID) \
  X(ACTION_PROHIBITED) \
  X(DATA_INVALID) \
  X(DATA_LEN_RANGE) \
  X(DEVICE_ERROR) \
  X(DEVICE_MEMORY) \
  X(DEVICE_REMOVED) \
  X(ENCRYPTED_DATA_INVALID) \
  X(ENCRYPTED_DATA_LEN_RANGE) \
  X(FUNCTION_CANCELED) \
  X(FUNCTION_NOT_PARALLEL) \
  X(FUNCTION_NOT_SUPPORTED) \
  X(KEY_HANDLE_INVALID) \
  X(KEY_SIZE_RANGE) \
  X(KEY_TYPE_INCONSISTENT) \
  X(KEY_NOT_NEEDED) \
  X(KEY_CHANGED) \
  X(KEY_NEEDED) \
  X(KEY_INDIGESTIBLE) \
  X(KEY_FUNCTION_NOT_PERMITTED) \
  X(KEY_NOT_WRAPPABLE) \
  X(KEY_UNEXTRACTABLE) \
  X(MECHANISM_INVALID) \
  X(MECHANISM_PARAM_INVALID) \
  X(OBJECT_HANDLE_INVALID) \
  X(OPERATION_ACTIVE) \
  X(OPERATION_NOT_INITIALIZED) \
  X(PIN_INCORRECT) \
  X(PIN_INVALID) \
  X(PIN_LEN_RANGE) \
  X(PIN_EXPIRED) \
  X(PIN_LOCKED) \
  X(SESSION_CLOSED) \
  X(SESSION_COUNT) \
  X(SESSION_HANDLE_INVALID) \
  X(SESSION_PARALLEL_NOT_SUPPORTED) \
  X(SESSION_READ_ONLY) \
  X(SESSION_EXISTS) \
  X(SESSION_READ_ONLY_EXISTS) \
  X(SESSION_READ_WRITE_SO_EXISTS) \
  X(SIGNATURE_INVALID) \
  X(SIGNATURE_LEN_RANGE) \
  X(TEMPLATE_INCOMPLETE) \
  X(TEMPLATE_INCONSISTENT) \
  X(TOKEN_NOT_PRESENT) \
  X(TOKEN_NOT_RECOGNIZED) \
  X(TOKEN_WRITE_PROTECTED) \
  X(UNWRAPPING_KEY_SIZE_RANGE) \
  X(UNWRAPPING_KEY_TYPE_INCONSISTENT) \
  X(USER_ALREADY_LOGGED_IN) \
  X(USER_NOT_LOGGED_IN) \
  X(USER_PIN_NOT_INITIALIZED) \
  X(USER_TYPE_INVALID) \
  X(USER_ANOTHER_ALREADY_LOGGED_IN) \
  X(USER_TOO_MANY_TYPES) \
  X(WRAPPED_KEY_INVALID) \
  X(WRAPPED_KEY_LEN_RANGE) \
  X(WRAPPING_KEY_HANDLE_INVALID) \
  X(WRAPPING_KEY_SIZE_RANGE) \
  X(WRAPPING_KEY_TYPE_INCONSISTENT) \
  X(RANDOM_SEED_NOT_SUPPORTED) \
  X(RANDOM_NO_RNG) \
  X(DOMAIN_PARAMS_INVALID) \
  X(CURVE_NOT_SUPPORTED) \
  X(BUFFER_TOO_SMALL) \
  X(SAVED_STATE_INVALID) \
  X(INFORMATION_SENSITIVE) \
  X(STATE_UNSAVEABLE) \
  X(CRYPTOKI_NOT_INITIALIZED) \
  X(CRYPTOKI_ALREADY_INITIALIZED) \
  X(MUTEX_BAD) \
  X(MUTEX_NOT_LOCKED) \
  X(NEW_PIN_MODE) \
  X(NEXT_OTP) \
  X(EXCEEDED_MAX_ITERATIONS) \
  X(FIPS_SELF_TEST_FAILED) \
  X(LIBRARY_LOAD_FAILED) \
  X(PIN_TOO_WEAK) \
  X(PUBLIC_KEY_INVALID) \
  X(FUNCTION_REJECTED)
// clang-format on

TEST(HsmErrorTableTest, EveryExpectedValueMapsToItsKindAndName) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.name);
    EXPECT_EQ(KindForCkRv(e.rv), e.kind);
    EXPECT_EQ(CkRvName(e.rv), e.name);
    EXPECT_EQ(CkRvByNameForTesting(e.name), e.rv);
  }
}

TEST(HsmErrorTableTest, EveryHeaderValueIsCoveredExactlyOnce) {
  std::set<CK_RV> expected;
  for (const Expected& e : kExpected) EXPECT_TRUE(expected.insert(e.rv).second) << e.name;
  int header_values = 0;
#define XKS_CHECK_ONE(n)                                                   \
  ++header_values;                                                         \
  EXPECT_TRUE(expected.count(CKR_##n)) << "CKR_" #n " has no expectation"; \
  EXPECT_EQ(CkRvName(CKR_##n), "CKR_" #n);
  XKS_ALL_HEADER_CKRS(XKS_CHECK_ONE)
#undef XKS_CHECK_ONE
  // The three v3.0 values the layer adds on top of the header's.
  EXPECT_EQ(static_cast<std::size_t>(header_values) + 3, expected.size());
}

TEST(HsmErrorTableTest, FatalAndSessionSets) {
  const std::set<CK_RV> fatal = {CKR_DEVICE_ERROR,      CKR_DEVICE_MEMORY,
                                 CKR_DEVICE_REMOVED,    CKR_CRYPTOKI_NOT_INITIALIZED,
                                 CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED};
  const std::set<CK_RV> session = {CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
                                   CKR_USER_NOT_LOGGED_IN};
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.name);
    EXPECT_EQ(IsFatalCkRv(e.rv), fatal.count(e.rv) == 1);
    EXPECT_EQ(IsSessionCkRv(e.rv), session.count(e.rv) == 1);
  }
  EXPECT_FALSE(IsFatalCkRv(CKR_OK));
  EXPECT_FALSE(IsSessionCkRv(CKR_OK));
}

TEST(HsmErrorTableTest, UnknownAndVendorValuesAreInternal) {
  EXPECT_EQ(KindForCkRv(0x0FFFFFFFUL), HsmErrorKind::kInternal);
  EXPECT_EQ(CkRvName(0x0FFFFFFFUL), "CKR_UNKNOWN");
  EXPECT_EQ(KindForCkRv(CKR_VENDOR_DEFINED + 5), HsmErrorKind::kInternal);
  EXPECT_EQ(CkRvName(CKR_VENDOR_DEFINED + 5), "CKR_VENDOR_DEFINED+0x5");
  EXPECT_FALSE(IsFatalCkRv(CKR_VENDOR_DEFINED + 5));
  EXPECT_EQ(CkRvName(CKR_OK), "CKR_OK");
}

TEST(HsmErrorTableTest, ErrorFromCkRvCarriesFunctionAndValue) {
  const HsmError e = ErrorFromCkRv("C_Decrypt", CKR_ENCRYPTED_DATA_INVALID);
  EXPECT_EQ(e.kind, HsmErrorKind::kBadCiphertext);
  EXPECT_EQ(e.ck_rv, CKR_ENCRYPTED_DATA_INVALID);
  EXPECT_STREQ(e.function, "C_Decrypt");
  EXPECT_EQ(e.ToLogString(),
            "C_Decrypt: CKR_ENCRYPTED_DATA_INVALID (0x40): BadCiphertext: C_Decrypt failed: "
            "CKR_ENCRYPTED_DATA_INVALID");
  EXPECT_EQ(MakeHsmError(HsmErrorKind::kTimeout, "t").ToLogString(), "Timeout: t");
}

TEST(HsmErrorTableTest, KindNames) {
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kNotFound), "NotFound");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kBadCiphertext), "BadCiphertext");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kKeyUsageNotPermitted), "KeyUsageNotPermitted");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kUnavailable), "Unavailable");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kTimeout), "Timeout");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kBusy), "Busy");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kInvalidArgument), "InvalidArgument");
  EXPECT_EQ(HsmErrorKindName(HsmErrorKind::kInternal), "Internal");
}

}  // namespace
}  // namespace xks::pkcs11
