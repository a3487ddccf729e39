// Conformance cases, Decrypt: round trips, tampering, field limits, input errors and key states.
#include <functional>
#include <optional>
#include <string>

#include "base/base64.h"
#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

namespace {

// A well-formed decrypt body whose crypto cannot succeed: for usage/state checks that must be
// decided before any decryption.
Sealed Garbage() {
  return Sealed{RandomByteString(32), RandomByteString(12), RandomByteString(16), {}, {}};
}

// Round trip: decrypt must return exactly the plaintext.
Verdict RoundTrip(Session& s, const std::string& plaintext, const std::optional<std::string>& aad) {
  auto e = Encrypt(s, s.config().tenant.key_id, plaintext, aad);
  if (!e.sealed) return Failed("encrypt failed: " + e.why);
  Call d = Decrypt(s, s.config().tenant.key_id, *e.sealed, aad);
  if (d.status() != 200) return Failed("decrypt: " + d.Describe());
  auto pt = StringField(d, "plaintext");
  if (!pt) return Failed("decrypt response lacks plaintext");
  auto raw = Base64DecodeToString(*pt);
  if (!raw) return Failed("plaintext is not valid Base64");
  if (*raw != plaintext) {
    return Failed("plaintext differs (" + std::to_string(raw->size()) + " bytes back, " +
                  std::to_string(plaintext.size()) + " sent)");
  }
  return Pass("HTTP 200, " + std::to_string(raw->size()) + " bytes returned intact");
}

// Encrypt, alter the sealed value or the AAD, decrypt: must be InvalidCiphertextException.
Verdict Tamper(
    Session& s, const std::optional<std::string>& aad,
    const std::function<std::optional<std::string>(Sealed&, std::optional<std::string>&)>& mutate) {
  auto e = Encrypt(s, s.config().tenant.key_id, "conformance tamper check", aad);
  if (!e.sealed) return Failed("encrypt failed: " + e.why);
  std::optional<std::string> dec_aad = aad;
  if (auto skip = mutate(*e.sealed, dec_aad)) return Skip(*skip);
  return ExpectError(Decrypt(s, s.config().tenant.key_id, *e.sealed, dec_aad), 400,
                     {"InvalidCiphertextException"});
}

void FlipBit(std::string& s) {
  if (!s.empty()) s[s.size() / 2] = static_cast<char>(s[s.size() / 2] ^ 0x01);
}

}  // namespace

void AddDecryptCases(CatalogueBuilder& b) {
  const std::string kAad = "project=nile,department=marketing";
  b.Add("decrypt.round-trip-with-aad", "decrypt", "Decrypt response",
        "decrypt returns the encrypted plaintext (with AAD)", kMust,
        [=](Session& s) { return RoundTrip(s, "round trip with AAD", kAad); });
  b.Add("decrypt.round-trip-without-aad", "decrypt", "Decrypt response",
        "decrypt returns the encrypted plaintext (no AAD)", kMust,
        [=](Session& s) { return RoundTrip(s, "round trip without AAD", std::nullopt); });
  b.Add("decrypt.round-trip-4300-bytes", "decrypt", "Decrypt request (ciphertext)",
        "4300 bytes of ciphertext decrypt to the same 4300 bytes", kMust,
        [=](Session& s) { return RoundTrip(s, RandomByteString(4300), std::nullopt); });
  b.Add("decrypt.round-trip-aad-8192", "decrypt", "Decrypt request (additionalAuthenticatedData)",
        "8192 bytes of AAD are accepted on decrypt", kMust,
        [=](Session& s) { return RoundTrip(s, "big AAD", RandomByteString(8192)); });
  b.Add("decrypt.round-trip-binary-1-byte", "decrypt", "Decrypt response",
        "a 1-byte plaintext round-trips (plaintext size equals ciphertext size)", kMust,
        [=](Session& s) { return RoundTrip(s, std::string(1, '\0'), std::nullopt); });
  using Mut = std::function<std::optional<std::string>(Sealed&, std::optional<std::string>&)>;
  auto tamper = [=](std::optional<std::string> aad, Mut m) {
    return [=](Session& s) { return Tamper(s, aad, m); };
  };
  b.Add("decrypt.tampered-ciphertext", "decrypt", "Error codes (InvalidCiphertextException)",
        "one flipped ciphertext bit gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed& x, std::optional<std::string>&) -> std::optional<std::string> {
          FlipBit(x.ciphertext);
          return std::nullopt;
        }));
  b.Add("decrypt.tampered-tag", "decrypt", "Error codes (InvalidCiphertextException)",
        "one flipped tag bit gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed& x, std::optional<std::string>&) -> std::optional<std::string> {
          FlipBit(x.tag);
          return std::nullopt;
        }));
  b.Add("decrypt.tampered-iv", "decrypt", "Error codes (InvalidCiphertextException)",
        "one flipped IV bit gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed& x, std::optional<std::string>&) -> std::optional<std::string> {
          FlipBit(x.iv);
          return std::nullopt;
        }));
  b.Add("decrypt.wrong-aad", "decrypt", "Decrypt request (additionalAuthenticatedData)",
        "a different AAD gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed&, std::optional<std::string>& aad) -> std::optional<std::string> {
          FlipBit(*aad);
          return std::nullopt;
        }));
  b.Add("decrypt.missing-aad", "decrypt", "Decrypt request (additionalAuthenticatedData)",
        "omitting the AAD used on encrypt gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed&, std::optional<std::string>& aad) -> std::optional<std::string> {
          aad.reset();
          return std::nullopt;
        }));
  b.Add("decrypt.tampered-ciphertext-metadata", "decrypt", "Decrypt request (ciphertextMetadata)",
        "a modified ciphertextMetadata gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed& x, std::optional<std::string>&) -> std::optional<std::string> {
          if (!x.metadata || x.metadata->empty()) return "endpoint returns no ciphertextMetadata";
          FlipBit(*x.metadata);
          return std::nullopt;
        }));
  b.Add("decrypt.dropped-ciphertext-metadata", "decrypt", "Decrypt request (ciphertextMetadata)",
        "omitting the returned ciphertextMetadata gives 400 InvalidCiphertextException", kMust,
        tamper(kAad, [](Sealed& x, std::optional<std::string>&) -> std::optional<std::string> {
          if (!x.metadata || x.metadata->empty()) return "endpoint returns no ciphertextMetadata";
          x.metadata.reset();
          return std::nullopt;
        }));
  b.Add("decrypt.ciphertext-metadata-as-aad", "decrypt",
        "Encrypt response (ciphertextMetadata NOTE)",
        "encrypt without AAD, then decrypt passing the ciphertextMetadata as AAD and no "
        "ciphertextMetadata: 400 InvalidCiphertextException (length-prefixed AAD)",
        kMust,
        tamper(std::nullopt,
               [](Sealed& x, std::optional<std::string>& aad) -> std::optional<std::string> {
                 if (!x.metadata || x.metadata->empty()) {
                   return "endpoint returns no ciphertextMetadata";
                 }
                 aad = x.metadata;
                 x.metadata.reset();
                 return std::nullopt;
               }));
  b.Add("decrypt.aad-as-ciphertext-metadata", "decrypt",
        "Encrypt response (ciphertextMetadata NOTE)",
        "encrypt with AAD A (and metadata M), then decrypt with no AAD and ciphertextMetadata "
        "A||M: 400 InvalidCiphertextException (length-prefixed AAD)",
        kMust,
        tamper(std::string("ab"),
               [](Sealed& x, std::optional<std::string>& aad) -> std::optional<std::string> {
                 std::string moved = *aad + x.metadata.value_or("");
                 if (moved.size() > 20) return "AAD || ciphertextMetadata exceeds 20 bytes";
                 x.metadata = moved;
                 aad.reset();
                 return std::nullopt;
               }));
  b.Add("decrypt.iv-16-bytes-processed", "decrypt", "Decrypt request (initializationVector)",
        "a 16-byte IV is valid input: a mismatching one gives 400 InvalidCiphertextException, "
        "not ValidationException",
        kMust,
        tamper(std::nullopt,
               [](Sealed& x, std::optional<std::string>&) -> std::optional<std::string> {
                 // Keep the tag check as the only reason to fail: a 16-byte IV that differs from
                 // the one used (extended from 12, or one bit flipped if already 16).
                 if (x.iv.size() == 16) {
                   FlipBit(x.iv);
                   return std::nullopt;
                 }
                 if (x.iv.size() != 12) return "endpoint IV is neither 12 nor 16 bytes";
                 x.iv += "\x5a\x5a\x5a\x5a";
                 return std::nullopt;
               }));
  auto bad_size = [=](std::function<void(Sealed&)> edit) {
    return [=](Session& s) {
      auto e = Encrypt(s, s.config().tenant.key_id, "size check", std::nullopt);
      if (!e.sealed) return Failed("encrypt failed: " + e.why);
      edit(*e.sealed);
      return ExpectError(Decrypt(s, s.config().tenant.key_id, *e.sealed, std::nullopt), 400,
                         {"ValidationException", "InvalidCiphertextException"});
    };
  };
  b.Add("decrypt.iv-13-bytes-rejected", "decrypt", "Decrypt request (initializationVector)",
        "a 13-byte IV gives 400 ValidationException or InvalidCiphertextException", kMust,
        bad_size([](Sealed& x) { x.iv = RandomByteString(13); }));
  b.Add("decrypt.tag-15-bytes-rejected", "decrypt", "Decrypt request (authenticationTag)",
        "a 15-byte tag gives 400 ValidationException or InvalidCiphertextException", kMust,
        bad_size([](Sealed& x) { x.tag.pop_back(); }));
  b.Add("decrypt.ciphertext-metadata-21-bytes-rejected", "decrypt",
        "Decrypt request (ciphertextMetadata)",
        "a 21-byte ciphertextMetadata gives 400 ValidationException or InvalidCiphertextException",
        kMust, bad_size([](Sealed& x) { x.metadata = RandomByteString(21); }));
  auto decrypt_rejected = [=](std::function<void(json&)> edit) {
    return [=](Session& s) {
      json body = DecryptBody(Garbage(), std::nullopt);
      edit(body);
      return ExpectError(s.Send(s.KeyPath(s.config().tenant.key_id, "decrypt"), body.dump()), 400,
                         {"ValidationException"});
    };
  };
  b.Add("decrypt.missing-ciphertext-400", "decrypt", "Decrypt request; Error codes",
        "no ciphertext gives 400 ValidationException", kMust,
        decrypt_rejected([](json& j) { j.erase("ciphertext"); }));
  b.Add("decrypt.missing-iv-400", "decrypt", "Decrypt request; Error codes",
        "no initializationVector gives 400 ValidationException", kMust,
        decrypt_rejected([](json& j) { j.erase("initializationVector"); }));
  b.Add("decrypt.missing-tag-400", "decrypt", "Decrypt request; Error codes",
        "no authenticationTag gives 400 ValidationException", kMust,
        decrypt_rejected([](json& j) { j.erase("authenticationTag"); }));
  b.Add("decrypt.ciphertext-bad-base64-400", "decrypt", "Decrypt request; Error codes",
        "a ciphertext that is not Base64 gives 400 ValidationException", kMust,
        decrypt_rejected([](json& j) { j["ciphertext"] = "a=bc"; }));
  b.Add("decrypt.iv-wrong-type-400", "decrypt", "Decrypt request; Error codes",
        "an initializationVector that is an object gives 400 ValidationException", kMust,
        decrypt_rejected([](json& j) { j["initializationVector"] = json::object(); }));
  b.Add("decrypt.bad-encryption-algorithm-400", "decrypt", "Decrypt request; Error codes",
        "encryptionAlgorithm other than AES_GCM gives 400 ValidationException", kMust,
        decrypt_rejected([](json& j) { j["encryptionAlgorithm"] = "RSAES_OAEP_SHA_256"; }));
  b.Add("decrypt.unknown-key-404", "decrypt", "Error codes",
        "an unknown externalKeyId gives 404 KeyNotFoundException", kMust, [=](Session& s) {
          return ExpectError(s.Send(s.KeyPath("xks-conformance-no-such-key", "decrypt"),
                                    DecryptBody(Garbage(), std::nullopt).dump()),
                             404, {"KeyNotFoundException"});
        });
  auto decrypt_accepted = [=](std::function<void(json&)> edit) {
    return [=](Session& s) {
      auto e = Encrypt(s, s.config().tenant.key_id, "accepted?", kAad);
      if (!e.sealed) return Failed("encrypt failed: " + e.why);
      json body = DecryptBody(*e.sealed, kAad);
      edit(body);
      Call c = s.Send(s.KeyPath(s.config().tenant.key_id, "decrypt"), body.dump());
      auto pt = StringField(c, "plaintext");
      if (c.status() == 200 && pt &&
          Base64DecodeToString(*pt) == std::optional<std::string>("accepted?")) {
        return Pass(c.Describe());
      }
      return Failed(c.Describe());
    };
  };
  b.Add("decrypt.unknown-kms-operation-accepted", "decrypt", "Decrypt request",
        "an unknown kmsOperation is not rejected", kMust,
        decrypt_accepted([](json& j) { j["requestMetadata"]["kmsOperation"] = "BulkDecrypt"; }));
  b.Add("decrypt.opaque-request-id-accepted", "decrypt", "Decrypt request",
        "a non-UUID kmsRequestId is accepted", kMust,
        decrypt_accepted([](json& j) { j["requestMetadata"]["kmsRequestId"] = "#opaque 7"; }));
  b.Add("decrypt.unknown-fields-accepted", "decrypt", "Appendix B",
        "unknown requestMetadata and top-level fields are tolerated", kShould,
        decrypt_accepted([](json& j) {
          j["requestMetadata"]["kmsRecipientAttestationImageSha384"] = "00";
          j["someFutureField"] = nullptr;
        }));
  auto key_refused = [=](std::string Config::*key, const char* what, const char* error) {
    return [=](Session& s) {
      const std::string& id = s.config().*key;
      if (id.empty()) return Skip(std::string("no ") + what + " key configured");
      return ExpectError(
          s.Send(s.KeyPath(id, "decrypt"), DecryptBody(Garbage(), std::nullopt).dump()), 400,
          {error});
    };
  };
  b.Add("decrypt.encrypt-only-key-refused", "decrypt", "Error codes",
        "decrypt with an ENCRYPT-only key gives 400 InvalidKeyUsageException", kMust,
        key_refused(&Config::encrypt_only_key_id, "encrypt-only", "InvalidKeyUsageException"));
  b.Add("decrypt.no-usage-key-refused", "decrypt", "Error codes",
        "decrypt with a key lacking DECRYPT gives 400 InvalidKeyUsageException", kMust,
        key_refused(&Config::no_usage_key_id, "no-usage", "InvalidKeyUsageException"));
  b.Add("decrypt.disabled-key-refused", "decrypt", "Error codes",
        "decrypt with a disabled key gives 400 InvalidStateException", kMust,
        key_refused(&Config::disabled_key_id, "disabled", "InvalidStateException"));
}

}  // namespace xks::conformance::cases
