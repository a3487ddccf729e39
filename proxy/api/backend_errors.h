#pragma once
// The one table from a failed HSM call to the error the client sees. Whoever talks to the HSM
// (runtime::HsmKeyBackend, or a test fake) reports an errorName for what went wrong; this table
// decides what the client is told for that name in that call, with one fixed message per row.
// Whatever the backend wrote (the HSM's words, the CK_RV) goes to log_detail only.
//
// Pure functions; thread-safe; never throw.

#include <string>
#include <string_view>

#include "proxy/common/error.h"

namespace xks::api {

/// Which backend call failed. Only a Decrypt can blame the client's ciphertext: an Encrypt or a
/// Describe that reports InvalidCiphertext is the HSM misbehaving (500).
enum class BackendCall { kDescribe, kEncrypt, kDecrypt, kEncryptVerification };

/// "Describe", "Encrypt", "Decrypt", "Encrypt verification" (prefix of the log detail).
std::string_view BackendCallName(BackendCall call);

/// The client message for a failed HSM call answered with `name`. Every errorName has one; a name
/// this table never answers with (ClientErrorForBackendFailure) gets the Internal message.
std::string_view HsmFailureMessage(ErrorName name);

/// An error named `name` with HsmFailureMessage(name) and `log_detail`: what a backend returns
/// for a failed HSM call (runtime::MapHsmError uses it, so the messages live only here).
Error HsmFailure(ErrorName name, std::string log_detail);

/// What the client sees when `call` failed with `backend_error`:
///   KeyNotFound → KeyNotFound (404); InvalidCiphertext → InvalidCiphertext (400) for Decrypt,
///   Internal (500) otherwise; InvalidKeyUsage → InvalidKeyUsage (400); DependencyTimeout →
///   DependencyTimeout (503); Throttling → Throttling (429); anything else → Internal (500).
/// Encrypt verification: DependencyTimeout stays, everything else is Internal "The encrypt result
/// could not be verified.". log_detail = "<call>: <backend message> (<backend log_detail>)".
Error ClientErrorForBackendFailure(BackendCall call, const Error& backend_error);

/// The message of every InvalidCiphertext answer, whichever part was wrong (no oracle).
inline constexpr std::string_view kInvalidCiphertextMessage =
    "The ciphertext, initialization vector, additional authenticated data, ciphertextMetadata or "
    "authentication tag is corrupted, missing or otherwise invalid.";

/// The message of a failed verifying decrypt after Encrypt (api.verify_encrypt).
inline constexpr std::string_view kEncryptNotVerifiedMessage =
    "The encrypt result could not be verified.";

}  // namespace xks::api
