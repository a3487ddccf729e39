// Conformance cases, Encrypt: response fields, size limits, tolerated inputs, input errors and key
// states.
#include "base/base64.h"
#include "base/bytes.h"
#include "base/sha256.h"
#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

void AddEncryptCases(CatalogueBuilder& b) {
  const std::string kPlain = "Hello World!";
  const std::string kAad = "project=nile,department=marketing";
  b.Add("encrypt.returns-required-fields", "encrypt", "Encrypt response",
        "200 with ciphertext, initializationVector and authenticationTag as Base64 strings", kMust,
        [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, kPlain, kAad);
          return e.sealed ? Pass(e.call.Describe()) : Failed(e.why);
        });
  b.Add("encrypt.ciphertext-length-equals-plaintext", "encrypt", "Encrypt response (ciphertext)",
        "ciphertext has exactly the plaintext's length", kMust, [=](Session& s) {
          std::string pt = RandomByteString(37);
          auto e = Encrypt(s, s.config().tenant.key_id, pt, std::nullopt);
          if (!e.sealed) return Failed(e.why);
          std::string n = std::to_string(e.sealed->ciphertext.size()) + " bytes for 37";
          return e.sealed->ciphertext.size() == pt.size() ? Pass(n) : Failed(n);
        });
  b.Add("encrypt.iv-12-or-16-bytes", "encrypt", "Encrypt response (initializationVector)",
        "initializationVector is 12 or 16 bytes", kMust, [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, kPlain, std::nullopt);
          if (!e.sealed) return Failed(e.why);
          size_t n = e.sealed->iv.size();
          return n == 12 || n == 16 ? Pass(std::to_string(n) + " bytes")
                                    : Failed(std::to_string(n) + " bytes");
        });
  b.Add("encrypt.tag-16-bytes", "encrypt", "Encrypt response (authenticationTag)",
        "authenticationTag is 16 bytes", kMust, [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, kPlain, std::nullopt);
          if (!e.sealed) return Failed(e.why);
          size_t n = e.sealed->tag.size();
          return n == 16 ? Pass("16 bytes") : Failed(std::to_string(n) + " bytes");
        });
  b.Add("encrypt.ciphertext-metadata-at-most-20-bytes", "encrypt",
        "Encrypt response (ciphertextMetadata)",
        "ciphertextMetadata, when present, is Base64 of at most 20 bytes", kMust, [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, kPlain, kAad);
          if (!e.sealed) return Failed(e.why);
          if (!e.sealed->metadata) return Pass("absent (optional)");
          size_t n = e.sealed->metadata->size();
          return n <= 20 ? Pass(std::to_string(n) + " bytes")
                         : Failed(std::to_string(n) + " bytes");
        });
  b.Add("encrypt.cdiv-present-when-requested", "encrypt", "Encrypt response; Appendix C",
        "with ciphertextDataIntegrityValueAlgorithm SHA_256 the response has a 32-byte "
        "ciphertextDataIntegrityValue",
        kMust, [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, kPlain, kAad, true);
          if (!e.sealed) return Failed(e.why);
          if (!e.sealed->cdiv) return Failed("ciphertextDataIntegrityValue missing");
          size_t n = e.sealed->cdiv->size();
          return n == 32 ? Pass("32 bytes") : Failed(std::to_string(n) + " bytes");
        });
  auto cdiv_case = [](const std::optional<std::string>& aad) {
    return [aad](Session& s) {
      auto e = Encrypt(s, s.config().tenant.key_id, "CDIV check plaintext", aad, true);
      if (!e.sealed) return Failed(e.why);
      if (!e.sealed->cdiv) return Failed("ciphertextDataIntegrityValue missing");
      const Sealed& x = *e.sealed;
      const std::string expect(AsChars(
          Sha256(aad.value_or("") + x.metadata.value_or("") + x.iv + x.ciphertext + x.tag)));
      if (*x.cdiv == expect) return Pass("matches SHA-256 recomputed per Appendix C");
      return Failed("got " + Base64Encode(*x.cdiv) + ", recomputed " + Base64Encode(expect));
    };
  };
  b.Add("encrypt.cdiv-matches-with-aad", "encrypt", "Appendix C",
        "CDIV = SHA-256(AAD || ciphertextMetadata || IV || ciphertext || tag)", kMust,
        cdiv_case(kAad));
  b.Add("encrypt.cdiv-matches-without-aad", "encrypt", "Appendix C",
        "CDIV = SHA-256(ciphertextMetadata || IV || ciphertext || tag) when no AAD", kMust,
        cdiv_case(std::nullopt));
  b.Add("encrypt.plaintext-4300-accepted", "encrypt", "Encrypt request (plaintext)",
        "4300 bytes of plaintext are encrypted", kMust, [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, RandomByteString(4300), std::nullopt);
          return e.sealed ? Pass(e.call.Describe()) : Failed(e.why);
        });
  b.Add("encrypt.aad-8192-accepted", "encrypt", "Encrypt request (additionalAuthenticatedData)",
        "8192 bytes of AAD are accepted", kMust, [=](Session& s) {
          auto e = Encrypt(s, s.config().tenant.key_id, kPlain, RandomByteString(8192));
          return e.sealed ? Pass(e.call.Describe()) : Failed(e.why);
        });
  b.Add("encrypt.distinct-ivs", "encrypt", "Encrypt response (initializationVector); AES-GCM",
        "two encryptions of the same input use different IVs", kMust, [=](Session& s) {
          auto a = Encrypt(s, s.config().tenant.key_id, kPlain, kAad);
          auto c = Encrypt(s, s.config().tenant.key_id, kPlain, kAad);
          if (!a.sealed) return Failed(a.why);
          if (!c.sealed) return Failed(c.why);
          if (a.sealed->iv == c.sealed->iv) {
            return Failed("IV reused: " + Base64Encode(a.sealed->iv));
          }
          return Pass("IVs differ");
        });
  auto encrypt_with = [=](std::function<void(json&)> edit) {
    return [=](Session& s) {
      json body = EncryptBody(kPlain, kAad, false);
      edit(body);
      return s.Send(s.KeyPath(s.config().tenant.key_id, "encrypt"), body.dump());
    };
  };
  auto accepted = [=](std::function<void(json&)> edit) {
    auto send = encrypt_with(edit);
    return [=](Session& s) {
      Call c = send(s);
      std::string why;
      return ParseSealed(c, why) ? Pass(c.Describe()) : Failed(why);
    };
  };
  auto rejected = [=](std::function<void(json&)> edit, int status,
                      std::initializer_list<const char*> names) {
    auto send = encrypt_with(edit);
    std::vector<const char*> n(names);
    return [=](Session& s) {
      Call c = send(s);
      for (const char* name : n) {
        if (c.status() == status && c.ErrorName() == name) return Pass(c.Describe());
      }
      return Failed(c.Describe());
    };
  };
  b.Add("encrypt.unknown-kms-operation-accepted", "encrypt", "Encrypt request",
        "an unknown kmsOperation is not rejected", kMust,
        accepted([](json& j) { j["requestMetadata"]["kmsOperation"] = "BulkEncrypt"; }));
  b.Add("encrypt.opaque-request-id-accepted", "encrypt", "Encrypt request",
        "a non-UUID kmsRequestId is accepted", kMust,
        accepted([](json& j) { j["requestMetadata"]["kmsRequestId"] = "opaque/request#1"; }));
  b.Add("encrypt.optional-metadata-accepted", "encrypt", "Encrypt request",
        "awsSourceVpc, awsSourceVpce and kmsViaService are accepted", kMust, accepted([](json& j) {
          j["requestMetadata"]["awsSourceVpc"] = "vpc-0123456789abcdef0";
          j["requestMetadata"]["awsSourceVpce"] = "vpce-0123456789abcdef0";
          j["requestMetadata"]["kmsViaService"] = "ebs";
        }));
  b.Add("encrypt.unknown-fields-accepted", "encrypt", "Appendix B",
        "unknown requestMetadata and top-level fields are tolerated", kShould,
        accepted([](json& j) {
          j["requestMetadata"]["sourceIdentity"] = "someone";
          j["someFutureField"] = {1, 2, 3};
        }));
  b.Add("encrypt.arn-2048-accepted", "encrypt", "API operations (ARN length)",
        "awsPrincipalArn and kmsKeyArn of 2048 characters are accepted", kMust,
        accepted([](json& j) {
          j["requestMetadata"]["awsPrincipalArn"] = Arn2048();
          j["requestMetadata"]["kmsKeyArn"] = Arn2048();
        }));
  b.Add("encrypt.unknown-key-404", "encrypt", "Error codes",
        "an unknown externalKeyId gives 404 KeyNotFoundException", kMust, [=](Session& s) {
          return ExpectError(s.Send(s.KeyPath("xks-conformance-no-such-key", "encrypt"),
                                    EncryptBody(kPlain, std::nullopt, false).dump()),
                             404, {"KeyNotFoundException"});
        });
  b.Add("encrypt.missing-plaintext-400", "encrypt", "Encrypt request; Error codes",
        "no plaintext gives 400 ValidationException", kMust,
        rejected([](json& j) { j.erase("plaintext"); }, 400, {"ValidationException"}));
  b.Add("encrypt.missing-encryption-algorithm-400", "encrypt", "Encrypt request; Error codes",
        "no encryptionAlgorithm gives 400 ValidationException", kMust,
        rejected([](json& j) { j.erase("encryptionAlgorithm"); }, 400, {"ValidationException"}));
  b.Add("encrypt.bad-encryption-algorithm-400", "encrypt", "Encrypt request; Error codes",
        "encryptionAlgorithm other than AES_GCM gives 400 ValidationException", kMust,
        rejected([](json& j) { j["encryptionAlgorithm"] = "AES_CBC"; }, 400,
                 {"ValidationException"}));
  b.Add("encrypt.plaintext-wrong-type-400", "encrypt", "Encrypt request; Error codes",
        "a plaintext that is a number gives 400 ValidationException", kMust,
        rejected([](json& j) { j["plaintext"] = 12345; }, 400, {"ValidationException"}));
  b.Add("encrypt.plaintext-bad-base64-400", "encrypt", "Encrypt request; Error codes",
        "a plaintext that is not Base64 gives 400 ValidationException", kMust,
        rejected([](json& j) { j["plaintext"] = "not base64!"; }, 400, {"ValidationException"}));
  b.Add("encrypt.aad-bad-base64-400", "encrypt", "Encrypt request; Error codes",
        "additionalAuthenticatedData that is not Base64 gives 400 ValidationException", kMust,
        rejected([](json& j) { j["additionalAuthenticatedData"] = "%%%%"; }, 400,
                 {"ValidationException"}));
  b.Add("encrypt.base64-missing-padding-400", "encrypt", "API content type (RFC 4648 Base64)",
        "unpadded Base64 is rejected with 400 ValidationException", kShould,
        rejected([](json& j) { j["plaintext"] = "SGVsbG8"; }, 400, {"ValidationException"}));
  b.Add("encrypt.base64-url-alphabet-400", "encrypt", "API content type (RFC 4648 Base64)",
        "base64url characters ('-', '_') are rejected with 400 ValidationException", kShould,
        rejected([](json& j) { j["plaintext"] = "ab-_"; }, 400, {"ValidationException"}));
  b.Add("encrypt.bad-cdiv-algorithm-400", "encrypt", "Encrypt request",
        "ciphertextDataIntegrityValueAlgorithm other than SHA_256 gives 400 ValidationException",
        kShould,
        rejected([](json& j) { j["ciphertextDataIntegrityValueAlgorithm"] = "SHA_512"; }, 400,
                 {"ValidationException"}));
  b.Add("encrypt.missing-request-metadata-400", "encrypt", "Encrypt request",
        "no requestMetadata gives 400 ValidationException", kShould,
        rejected([](json& j) { j.erase("requestMetadata"); }, 400, {"ValidationException"}));
  b.Add("encrypt.malformed-json-400", "encrypt", "Error codes",
        "a body that is not JSON gives 400 ValidationException", kMust, [=](Session& s) {
          return ExpectError(s.Send(s.KeyPath(s.config().tenant.key_id, "encrypt"), "[1,2"), 400,
                             {"ValidationException"});
        });
  auto key_refused = [=](std::string Config::*key, const char* what, const char* error) {
    return [=](Session& s) {
      const std::string& id = s.config().*key;
      if (id.empty()) return Skip(std::string("no ") + what + " key configured");
      return ExpectError(
          s.Send(s.KeyPath(id, "encrypt"), EncryptBody(kPlain, std::nullopt, false).dump()), 400,
          {error});
    };
  };
  b.Add("encrypt.decrypt-only-key-refused", "encrypt", "Error codes",
        "encrypt with a DECRYPT-only key gives 400 InvalidKeyUsageException", kMust,
        key_refused(&Config::decrypt_only_key_id, "decrypt-only", "InvalidKeyUsageException"));
  b.Add("encrypt.no-usage-key-refused", "encrypt", "Error codes",
        "encrypt with a key lacking ENCRYPT gives 400 InvalidKeyUsageException", kMust,
        key_refused(&Config::no_usage_key_id, "no-usage", "InvalidKeyUsageException"));
  b.Add("encrypt.disabled-key-refused", "encrypt", "Error codes",
        "encrypt with a disabled key gives 400 InvalidStateException", kMust,
        key_refused(&Config::disabled_key_id, "disabled", "InvalidStateException"));
}

}  // namespace xks::conformance::cases
