#pragma once
// The facade the proxy uses to reach a PKCS#11 HSM: load a module, open a token (log in, pool
// sessions, cache key handles), and run AES-256-GCM with keys that never leave the HSM.
// Does not include pkcs11.h: all types here are std types, so the proxy never sees Cryptoki.
//
// Thread safety: Module and TokenClient are thread-safe; any number of threads may call any member
// concurrently. No member throws; every failure is an HsmError (see hsm_error.h).
// Recovery: when the module returns a fatal CK_RV (device error/removed, not initialized, ...), the
// layer drains sessions, re-initializes the module (C_Finalize/C_Initialize), logs in again and
// retries the operation once; callers see success if the retry works. Cached key handles from an
// older generation are never reused.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "pkcs11/hsm_error.h"
#include "pkcs11/pin_source.h"

namespace xks::pkcs11 {

/// Every operation takes an absolute deadline on the steady clock. It bounds the wait for a pooled
/// session (then kTimeout); a C_* call that has started is not interrupted.
using Deadline = std::chrono::steady_clock::time_point;

/// How to load one PKCS#11 module and its quirks.
struct ModuleConfig {
  /// A file path (contains '/') or a p11-kit registered module name, e.g. "softhsm2".
  std::string module;
  /// The module generates the GCM IV itself in C_EncryptInit and writes it to CK_GCM_PARAMS.pIv
  /// (PKCS#11 v3.0 behaviour for FIPS modules). When false, the layer draws the IV with
  /// C_GenerateRandom and passes it in. SoftHSMv2 2.6: false.
  bool hsm_generates_gcm_iv = false;
  /// C_Decrypt reports a failed GCM tag check as CKR_GENERAL_ERROR instead of
  /// CKR_ENCRYPTED_DATA_INVALID (SoftHSMv2 2.6 does). Unset: on when C_GetInfo names SoftHSM.
  std::optional<bool> decrypt_general_error_is_bad_ciphertext;
  /// Passed to C_Initialize as CK_C_INITIALIZE_ARGS.pReserved (a NUL-terminated string) when not
  /// empty. PKCS#11 reserves the field, but some modules take their configuration there: NSS's
  /// softokn (libsoftokn3.so) needs "configdir='sql:DIR' certPrefix='' keyPrefix='' ...". Leave
  /// empty for every module whose documentation does not ask for it.
  std::string initialize_parameters;
};

/// A loaded, initialized module. Opaque to the proxy (defined in pkcs11/module.h).
class Module;

/// Loads and initializes a module (C_GetInterface if exported, else C_GetFunctionList; C_Initialize
/// with CKF_OS_LOCKING_OK; CKR_CRYPTOKI_ALREADY_INITIALIZED tolerated). The module is finalized and
/// unloaded when the last shared_ptr (including those held by TokenClients) goes away.
/// Errors: kNotFound (no such file or p11-kit module name), kUnavailable (dlopen or C_Initialize
/// failed), kInternal.
HsmResult<std::shared_ptr<Module>> OpenModule(const ModuleConfig& config);

/// The configuration `module` was opened with.
const ModuleConfig& ConfigOf(const Module& module);

/// Re-initializes the module (C_Finalize + C_Initialize) so that tokens created since it was
/// initialized become visible: some modules (SoftHSMv2) enumerate tokens only in C_Initialize.
/// Open TokenClients recover by themselves on their next call (fresh sessions, fresh login); calls
/// running at that moment finish first. Use it when a configured token is not found, not routinely.
/// Errors: kUnavailable, kInternal.
HsmResult<void> RescanTokens(Module& module);

/// One slot as the module reports it.
struct SlotDescription {
  unsigned long slot_id = 0;
  bool token_present = false;
  bool token_initialized = false;  ///< CKF_TOKEN_INITIALIZED
  std::string token_label;         ///< trailing blanks removed
  std::string token_serial;        ///< trailing blanks removed
  std::string token_model;
  std::string manufacturer;
};

/// Lists slots that have a token. A slot whose token cannot be read (C_GetTokenInfo fails: the
/// device was removed, has failed, ...) is left out, so one broken device does not hide the
/// others (the members of a fleet often share one module); its error is appended to
/// `unreadable` when given. Thread-safe. Errors (C_GetSlotList): kUnavailable, kInternal.
HsmResult<std::vector<SlotDescription>> ListSlots(Module& module,
                                                  std::vector<HsmError>* unreadable = nullptr);

/// Initializes a token in the first slot whose token is present but not initialized (C_InitToken
/// with the SO PIN, then C_InitPIN for the user PIN). Returns the new token's serial number.
/// Errors: kNotFound (no free slot), kInvalidArgument (label longer than 32 bytes, bad PIN),
/// kUnavailable, kInternal. PINs never appear in errors or logs.
HsmResult<std::string> InitToken(Module& module, std::string_view label, const SecretBytes& so_pin,
                                 const SecretBytes& user_pin);

/// How to open one token.
struct TokenConfig {
  /// An RFC 7512 URI ("pkcs11:token=acme" or with serial=, manufacturer=, model=, slot-id=) or a
  /// plain token label. Exactly one token must match, else kNotFound / kInvalidArgument.
  std::string token;
  /// Where the user PIN is read from (once, at Open; kept in a SecretBytes for re-login).
  PinSource pin = PinSource::Env("XKS_PKCS11_PIN");
  /// Most pooled sessions open at once on this token (SoftHSM: 1-2; a network HSM: many); >= 1.
  /// One more "anchor" session stays open for the client's lifetime: it keeps the user logged in
  /// and object handles valid (SoftHSM drops both when a token's last session closes) and owns
  /// session-object key copies.
  std::size_t max_sessions = 2;
  /// Copy each token key into a session object (C_CopyObject, CKA_TOKEN=FALSE, still sensitive and
  /// non-extractable) on first use: SoftHSM re-reads token files on every C_EncryptInit with a
  /// token key, a session copy is ~3x faster (PERF-FACTS.md). A module that refuses the copy
  /// (not supported, key not copyable) gets its token keys used instead, from then on. Copies
  /// live until ForgetKeys (the proxy calls it on every configuration reload), DestroyKey of
  /// their key, or the client's end.
  bool copy_keys_to_session_objects = false;
};

/// Result of an AES-GCM encryption. The tag is returned separately from the ciphertext.
struct GcmSealed {
  std::vector<std::uint8_t> iv;          ///< 12 bytes (or the explicit test IV)
  std::vector<std::uint8_t> ciphertext;  ///< same length as the plaintext
  std::array<std::uint8_t, 16> tag{};
};

/// The usage attributes of a key (CKA_ENCRYPT, ...). Absent attributes read as false.
struct KeyUsage {
  bool encrypt = false, decrypt = false, wrap = false, unwrap = false;
  bool sign = false, verify = false, derive = false;
};

enum class KeyClass { kSecret, kPrivate, kPublic, kOther };
enum class KeyType { kAes, kEc, kRsa, kGenericSecret, kOther };

/// What DescribeKey/ListKeys report. Never contains key material.
struct KeyInfo {
  std::string label;
  std::vector<std::uint8_t> id;  ///< CKA_ID
  KeyClass key_class = KeyClass::kOther;
  KeyType key_type = KeyType::kOther;
  std::size_t value_len = 0;  ///< CKA_VALUE_LEN in bytes (secret keys; 0 when not reported)
  KeyUsage usage;
  bool sensitive = false;    ///< CKA_SENSITIVE (secret/private keys)
  bool extractable = false;  ///< CKA_EXTRACTABLE (secret/private keys)
};

/// Usage subset for a new AES key (CKA_ENCRYPT / CKA_DECRYPT / CKA_WRAP / CKA_UNWRAP).
struct AesKeySpec {
  std::string label;
  std::vector<std::uint8_t> id;
  bool encrypt = true, decrypt = true, wrap = false, unwrap = false;
};

/// An EC public key as stored in the token.
struct EcPublicKey {
  std::vector<std::uint8_t> ec_point;   ///< CKA_EC_POINT (DER OCTET STRING of the X9.62 point)
  std::vector<std::uint8_t> ec_params;  ///< CKA_EC_PARAMS (DER OID of the curve)
};

/// An RSA public key as stored in the token (big-endian unsigned integers).
struct RsaPublicKey {
  std::vector<std::uint8_t> modulus;          ///< CKA_MODULUS
  std::vector<std::uint8_t> public_exponent;  ///< CKA_PUBLIC_EXPONENT
};

/// The OAEP hash (and MGF1 hash) of a wrapped key. SHA-256 is the default; SHA-1 exists because
/// some modules unwrap only with it (SoftHSMv2 2.6 refuses any other hash with CKR_ARGUMENTS_BAD).
enum class OaepHash { kSha256, kSha1 };

/// One logged-in token: a bounded session pool and a key-handle cache. Thread-safe.
/// Keys are named by label ("k1") or by a PKCS#11 URI with object= ("pkcs11:object=k1").
class TokenClient {
 public:
  /// Finds the token, reads the PIN, logs in (CKR_USER_ALREADY_LOGGED_IN tolerated).
  /// Errors: kNotFound (no matching token), kInvalidArgument (bad URI, PIN source, max_sessions 0),
  /// kUnavailable (login failed: wrong PIN, locked, device), kInternal.
  static HsmResult<std::unique_ptr<TokenClient>> Open(std::shared_ptr<Module> module,
                                                      const TokenConfig& config);
  ~TokenClient();
  TokenClient(const TokenClient&) = delete;
  TokenClient& operator=(const TokenClient&) = delete;

  /// AES-256-GCM encrypt with the secret key `key`: a fresh 12-byte IV from the HSM
  /// (C_GenerateRandom, or generated inside C_EncryptInit when ModuleConfig::hsm_generates_gcm_iv),
  /// a 128-bit tag. AAD up to 65535 bytes. Errors: kNotFound (no such key), kKeyUsageNotPermitted
  /// (not an AES key or CKA_ENCRYPT false), kInvalidArgument (AAD too long), kTimeout,
  /// kUnavailable, kInternal.
  HsmResult<GcmSealed> Encrypt(std::string_view key, std::span<const std::uint8_t> plaintext,
                               std::span<const std::uint8_t> aad, Deadline deadline);

  /// AES-256-GCM decrypt and verify. `iv` must be 12 or 16 bytes, `tag` 16 bytes.
  /// Errors: kBadCiphertext (authentication failed: any change to IV, ciphertext, tag or AAD),
  /// kInvalidArgument (IV/tag/AAD size), kNotFound, kKeyUsageNotPermitted, kTimeout, kUnavailable,
  /// kInternal. The plaintext is returned only after the tag verified.
  HsmResult<SecretBytes> Decrypt(std::string_view key, std::span<const std::uint8_t> iv,
                                 std::span<const std::uint8_t> ciphertext,
                                 std::span<const std::uint8_t> tag,
                                 std::span<const std::uint8_t> aad, Deadline deadline);

  /// Type, length, usage and protection attributes of a key (secret key first, then private, then
  /// public key with that label). Errors: kNotFound, kTimeout, kUnavailable, kInternal.
  HsmResult<KeyInfo> DescribeKey(std::string_view key, Deadline deadline);

  /// Forgets every cached key handle and destroys every session-object copy this client made, so
  /// each key is looked up on the token afresh at its next use: after a rotation, a shred or a
  /// disable, what is used is what the token holds. Never fails (a copy that cannot be destroyed
  /// any more died with its session).
  void ForgetKeys();

  /// Destroys every session-object copy whose token key no longer exists (destroyed through
  /// another client or process), so a shred reaches this client within one call even before it
  /// is told to ForgetKeys. One object search; returns how many copies were dropped.
  /// Errors: kTimeout, kUnavailable, kInternal.
  HsmResult<std::size_t> DropStaleKeyCopies(Deadline deadline);

  // ---- Administration (operator CLI, tests) ----

  /// All key objects (secret, private, public) in the token. Errors: kTimeout, kUnavailable,
  /// kInternal.
  HsmResult<std::vector<KeyInfo>> ListKeys(Deadline deadline);

  /// Generates an AES-256 token key (CKM_AES_KEY_GEN), sensitive and non-extractable.
  /// Errors: kInvalidArgument (empty label, label already used), kTimeout, kUnavailable, kInternal.
  HsmResult<KeyInfo> CreateAesKey(const AesKeySpec& spec, Deadline deadline);

  /// Destroys every key object with that label. Errors: kNotFound, kTimeout, kUnavailable,
  /// kInternal.
  HsmResult<void> DestroyKey(std::string_view key, Deadline deadline);

  /// Generates an EC P-256 key pair: private key sensitive, non-extractable, CKA_SIGN; public key
  /// CKA_VERIFY; both carry the label and id. Returns the public key.
  /// Errors: kInvalidArgument (empty or used label), kTimeout, kUnavailable, kInternal.
  HsmResult<EcPublicKey> GenerateEcP256KeyPair(std::string_view label,
                                               std::span<const std::uint8_t> id, Deadline deadline);

  /// Generates an RSA key pair (public exponent 65537, `bits` 2048..4096) for importing key
  /// material: private key sensitive, non-extractable, CKA_UNWRAP true, CKA_DECRYPT and CKA_SIGN
  /// false; public key CKA_WRAP and CKA_ENCRYPT; both carry the label and id. Returns the public
  /// key. Errors: kInvalidArgument (empty or used label, bits out of range), kTimeout,
  /// kUnavailable, kInternal.
  HsmResult<RsaPublicKey> GenerateRsaWrappingKeyPair(std::string_view label,
                                                     std::span<const std::uint8_t> id,
                                                     unsigned bits, Deadline deadline);

  /// Unwraps `wrapped` (RSA-OAEP, `hash` with MGF1-`hash`, empty label) with the private key
  /// `wrapping_key` (C_UnwrapKey) into a sensitive, non-extractable AES token key with the label,
  /// id and usage of `spec`. The plaintext key never leaves the HSM. Returns the new key's info.
  /// The length is checked through CKA_VALUE_LEN: a key that does not report 32 bytes is destroyed
  /// again, including on a module that leaves it unset on unwrapped keys (SoftHSMv2 2.6).
  /// SoftHSMv2 2.6 also unwraps OAEP only with OaepHash::kSha1 (CKR_ARGUMENTS_BAD otherwise).
  /// Tested on NSS softokn, which does both. Errors: kInvalidArgument (empty or used label, the
  /// unwrapped key is not 32 bytes, or the module refused the parameters), kKeyUsageNotPermitted
  /// (the module does not report the unwrapped key's length, or the wrapping key may not unwrap),
  /// kNotFound (no such wrapping key), kBadCiphertext or kInvalidArgument (bad wrapped data, per
  /// the CK_RV table), kTimeout, kUnavailable, kInternal.
  HsmResult<KeyInfo> UnwrapAesKeyRsaOaep(std::string_view wrapping_key,
                                         std::span<const std::uint8_t> wrapped,
                                         const AesKeySpec& spec, Deadline deadline,
                                         OaepHash hash = OaepHash::kSha256);

  /// CKM_ECDSA over a caller-computed digest (e.g. SHA-256, 32 bytes) with the private key `key`.
  /// Returns the raw r||s signature (64 bytes for P-256).
  /// Errors: kNotFound, kKeyUsageNotPermitted, kInvalidArgument, kTimeout, kUnavailable, kInternal.
  HsmResult<std::vector<std::uint8_t>> SignEcdsa(std::string_view key,
                                                 std::span<const std::uint8_t> digest,
                                                 Deadline deadline);

  /// CKA_EC_POINT and CKA_EC_PARAMS of the public key `key`. Errors: kNotFound, kTimeout,
  /// kUnavailable.
  HsmResult<EcPublicKey> GetEcPublicKey(std::string_view key, Deadline deadline);

  // ---- For known-answer tests only; never used by the proxy ----

  /// Imports `key_value` (32 bytes) as a sensitive, non-extractable AES secret key object.
  HsmResult<void> ImportAesKeyForTesting(const AesKeySpec& spec, const SecretBytes& key_value,
                                         Deadline deadline);
  /// Encrypt with a caller-chosen IV (12 or 16 bytes). Reusing an IV breaks GCM: tests only.
  HsmResult<GcmSealed> EncryptWithExplicitIvForTesting(std::string_view key,
                                                       std::span<const std::uint8_t> iv,
                                                       std::span<const std::uint8_t> plaintext,
                                                       std::span<const std::uint8_t> aad,
                                                       Deadline deadline);

  /// Tries to read the key's CKA_VALUE: for tests proving it is refused (kKeyUsageNotPermitted).
  HsmResult<std::vector<std::uint8_t>> ReadKeyValueForTesting(std::string_view key,
                                                              Deadline deadline);

  /// The token's label and serial number as found at Open.
  const std::string& token_label() const;
  const std::string& token_serial() const;

  class Impl;

 private:
  explicit TokenClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xks::pkcs11
