#include "conformance/runner.h"

#include <fnmatch.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "base/base64.h"
#include "base/bytes.h"
#include "base/hex.h"
#include "base/random.h"
#include "base/sha256.h"
#include "conformance/session.h"

namespace xks::conformance {
namespace {

using nlohmann::json;

constexpr int kLatencyBudgetMs = 250;

Verdict Pass(std::string observed) { return {Outcome::kPass, std::move(observed)}; }
Verdict Failed(std::string observed) { return {Outcome::kFail, std::move(observed)}; }
Verdict Skip(std::string why) { return {Outcome::kSkip, std::move(why)}; }

// Random test data as bytes in a string (the runner's byte type). A failing CSPRNG aborts
// (xks::RandomBytes): a conformance run on predictable data would prove nothing.
std::string RandomByteString(size_t n) { return std::string(AsChars(xks::RandomBytes(n).span())); }

// kmsRequestId as KMS sends it: a random UUID-looking string.
std::string RandomUuid() {
  const SecretBytes r = xks::RandomBytes(16);
  std::string out;
  for (size_t i = 0; i < r.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    AppendHexByte(out, r.data()[i]);
  }
  return out;
}

json Metadata(const std::string& operation) {
  return json{
      {"awsPrincipalArn", "arn:aws:iam::123456789012:user/xks-conformance"},
      {"kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
      {"kmsOperation", operation},
      {"kmsRequestId", RandomUuid()}};
}

json HealthBody() {
  return json{
      {"requestMetadata", {{"kmsOperation", "KmsHealthCheck"}, {"kmsRequestId", RandomUuid()}}}};
}

json MetadataBody() { return json{{"requestMetadata", Metadata("DescribeKey")}}; }

json EncryptBody(const std::string& plaintext, const std::optional<std::string>& aad, bool cdiv) {
  json b{{"requestMetadata", Metadata("Encrypt")},
         {"plaintext", Base64Encode(plaintext)},
         {"encryptionAlgorithm", "AES_GCM"}};
  if (aad) b["additionalAuthenticatedData"] = Base64Encode(*aad);
  if (cdiv) b["ciphertextDataIntegrityValueAlgorithm"] = "SHA_256";
  return b;
}

// The decoded fields of a successful encrypt response.
struct Sealed {
  std::string ciphertext, iv, tag;
  std::optional<std::string> metadata;  // ciphertextMetadata
  std::optional<std::string> cdiv;
};

json DecryptBody(const Sealed& s, const std::optional<std::string>& aad) {
  json b{{"requestMetadata", Metadata("Decrypt")},
         {"ciphertext", Base64Encode(s.ciphertext)},
         {"encryptionAlgorithm", "AES_GCM"},
         {"initializationVector", Base64Encode(s.iv)},
         {"authenticationTag", Base64Encode(s.tag)}};
  if (aad) b["additionalAuthenticatedData"] = Base64Encode(*aad);
  if (s.metadata) b["ciphertextMetadata"] = Base64Encode(*s.metadata);
  return b;
}

// A well-formed decrypt body whose crypto cannot succeed: for usage/state checks that must be
// decided before any decryption.
Sealed Garbage() {
  return Sealed{RandomByteString(32), RandomByteString(12), RandomByteString(16), {}, {}};
}

std::optional<std::string> StringField(const Call& c, const char* name) {
  if (!c.json || !c.json->is_object()) return std::nullopt;
  auto it = c.json->find(name);
  if (it == c.json->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Parses an encrypt response; on failure `why` says what was wrong.
std::optional<Sealed> ParseSealed(const Call& c, std::string& why) {
  if (c.status() != 200) {
    why = c.Describe();
    return std::nullopt;
  }
  Sealed s;
  for (auto [name, dest] :
       {std::pair{"ciphertext", &s.ciphertext}, std::pair{"initializationVector", &s.iv},
        std::pair{"authenticationTag", &s.tag}}) {
    auto v = StringField(c, name);
    if (!v) {
      why = std::string("response lacks string field ") + name;
      return std::nullopt;
    }
    auto d = Base64DecodeToString(*v);
    if (!d) {
      why = std::string(name) + " is not valid Base64: " + v->substr(0, 40);
      return std::nullopt;
    }
    *dest = *d;
  }
  for (auto [name, dest] : {std::pair{"ciphertextMetadata", &s.metadata},
                            std::pair{"ciphertextDataIntegrityValue", &s.cdiv}}) {
    if (c.json->contains(name)) {
      auto v = StringField(c, name);
      auto d = v ? Base64DecodeToString(*v) : std::nullopt;
      if (!d) {
        why = std::string(name) + " is not a valid Base64 string";
        return std::nullopt;
      }
      *dest = *d;
    }
  }
  return s;
}

struct Encrypted {
  Call call;
  std::optional<Sealed> sealed;
  std::string why;
};

Encrypted Encrypt(Session& s, const std::string& key, const std::string& plaintext,
                  const std::optional<std::string>& aad, bool cdiv = false) {
  Encrypted e;
  e.call = s.Send(s.KeyPath(key, "encrypt"), EncryptBody(plaintext, aad, cdiv).dump());
  e.sealed = ParseSealed(e.call, e.why);
  return e;
}

Call Decrypt(Session& s, const std::string& key, const Sealed& sealed,
             const std::optional<std::string>& aad) {
  return s.Send(s.KeyPath(key, "decrypt"), DecryptBody(sealed, aad).dump());
}

Verdict ExpectError(const Call& c, int status, std::initializer_list<const char*> names) {
  const std::string name = c.ErrorName();
  bool name_ok = false;
  for (const char* n : names) name_ok = name_ok || name == n;
  if (c.status() == status && name_ok) return Pass(c.Describe());
  return Failed(c.Describe());
}

Verdict Expect200Object(const Call& c) {
  if (c.status() == 200 && c.json && c.json->is_object()) return Pass(c.Describe());
  return Failed(c.Describe());
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

std::string Arn2048() {
  std::string prefix = "arn:aws:iam::123456789012:role/";
  return prefix + std::string(2048 - prefix.size(), 'a');
}

class CatalogueBuilder {
 public:
  void Add(std::string id, std::string group, std::string ref, std::string expectation,
           bool required, std::function<Verdict(Session&)> run) {
    cases_.push_back(Case{
        CaseInfo{std::move(id), std::move(group), std::move(ref), std::move(expectation), required},
        std::move(run)});
  }
  std::vector<Case> Take() { return std::move(cases_); }

 private:
  std::vector<Case> cases_;
};

constexpr bool kMust = true;
constexpr bool kShould = false;

void AddHealthCases(CatalogueBuilder& b) {
  auto health = [](Session& s, const json& body) { return s.Send(s.HealthPath(), body.dump()); };
  b.Add("health.post-returns-200", "health", "GetHealthStatus",
        "POST .../health returns 200 with a JSON object", kMust,
        [=](Session& s) { return Expect200Object(health(s, HealthBody())); });
  b.Add("health.content-type-json", "health", "API content type",
        "responses carry Content-Type application/json", kMust, [=](Session& s) {
          Call c = health(s, HealthBody());
          if (!c.ok()) return Failed(c.Describe());
          std::string ct = c.response.HeaderValue("Content-Type");
          if (ct.rfind("application/json", 0) == 0) return Pass("Content-Type: " + ct);
          return Failed("Content-Type: '" + ct + "'");
        });
  b.Add("health.required-fields", "health", "GetHealthStatus response",
        "xksProxyFleetSize (number), xksProxyVendor, xksProxyModel, ekmVendor (strings) and "
        "ekmFleetDetails[] with id, model, healthStatus (strings) are present",
        kMust, [=](Session& s) {
          Call c = health(s, HealthBody());
          if (c.status() != 200 || !c.json || !c.json->is_object()) return Failed(c.Describe());
          const json& j = *c.json;
          if (!j.contains("xksProxyFleetSize") || !j["xksProxyFleetSize"].is_number()) {
            return Failed("xksProxyFleetSize missing or not a number");
          }
          for (const char* f : {"xksProxyVendor", "xksProxyModel", "ekmVendor"}) {
            if (!j.contains(f) || !j[f].is_string()) {
              return Failed(std::string(f) + " missing or not a string");
            }
          }
          if (!j.contains("ekmFleetDetails") || !j["ekmFleetDetails"].is_array()) {
            return Failed("ekmFleetDetails missing or not an array");
          }
          for (const auto& d : j["ekmFleetDetails"]) {
            for (const char* f : {"id", "model", "healthStatus"}) {
              if (!d.is_object() || !d.contains(f) || !d[f].is_string()) {
                return Failed(std::string("ekmFleetDetails entry lacks string ") + f);
              }
            }
          }
          return Pass("all fields present");
        });
  b.Add("health.fleet-size-positive-integer", "health", "GetHealthStatus response",
        "xksProxyFleetSize is an integer greater than zero", kMust, [=](Session& s) {
          Call c = health(s, HealthBody());
          if (c.status() != 200 || !c.json || !c.json->is_object()) return Failed(c.Describe());
          auto it = c.json->find("xksProxyFleetSize");
          if (it == c.json->end()) return Failed("xksProxyFleetSize missing");
          if (!it->is_number_integer()) return Failed("xksProxyFleetSize = " + it->dump());
          if (it->get<long long>() <= 0) return Failed("xksProxyFleetSize = " + it->dump());
          return Pass("xksProxyFleetSize = " + it->dump());
        });
  b.Add("health.ekm-fleet-details-1-to-10", "health", "GetHealthStatus response",
        "ekmFleetDetails has between 1 and 10 entries", kMust, [=](Session& s) {
          Call c = health(s, HealthBody());
          if (c.status() != 200 || !c.json || !c.json->is_object()) return Failed(c.Describe());
          auto it = c.json->find("ekmFleetDetails");
          if (it == c.json->end() || !it->is_array()) return Failed("ekmFleetDetails not an array");
          std::string n = std::to_string(it->size()) + " entries";
          return it->size() >= 1 && it->size() <= 10 ? Pass(n) : Failed(n);
        });
  b.Add("health.status-values-allowed", "health", "GetHealthStatus response",
        "every ekmFleetDetails[].healthStatus is ACTIVE, DEGRADED or UNAVAILABLE", kMust,
        [=](Session& s) {
          Call c = health(s, HealthBody());
          if (c.status() != 200 || !c.json || !c.json->is_object()) return Failed(c.Describe());
          auto it = c.json->find("ekmFleetDetails");
          if (it == c.json->end() || !it->is_array() || it->empty()) {
            return Failed("no ekmFleetDetails");
          }
          std::string seen;
          for (const auto& d : *it) {
            std::string st =
                d.is_object() && d.contains("healthStatus") && d["healthStatus"].is_string()
                    ? d["healthStatus"].get<std::string>()
                    : "<missing>";
            if (st != "ACTIVE" && st != "DEGRADED" && st != "UNAVAILABLE") {
              return Failed("healthStatus " + st);
            }
            seen += (seen.empty() ? "" : ",") + st;
          }
          return Pass(seen);
        });
  b.Add("health.unknown-kms-operation-accepted", "health", "GetHealthStatus request",
        "a kmsOperation value the proxy does not know is not rejected", kMust, [=](Session& s) {
          json body = HealthBody();
          body["requestMetadata"]["kmsOperation"] = "SomeFutureOperation";
          return Expect200Object(health(s, body));
        });
  b.Add("health.opaque-request-id-accepted", "health", "GetHealthStatus request",
        "a kmsRequestId that is not a UUID is accepted (opaque string)", kMust, [=](Session& s) {
          json body = HealthBody();
          body["requestMetadata"]["kmsRequestId"] = "not-a-uuid:#42 opaque";
          return Expect200Object(health(s, body));
        });
  b.Add("health.unknown-fields-accepted", "health", "Appendix B",
        "unknown requestMetadata and top-level fields are tolerated", kShould, [=](Session& s) {
          json body = HealthBody();
          body["requestMetadata"]["someFutureField"] = "x";
          body["anotherFutureField"] = {{"nested", 1}};
          return Expect200Object(health(s, body));
        });
}

void AddMetadataCases(CatalogueBuilder& b) {
  auto meta = [](Session& s, const std::string& key, const json& body) {
    return s.Send(s.KeyPath(key, "metadata"), body.dump());
  };
  b.Add("metadata.returns-200", "metadata", "GetKeyMetadata",
        "POST .../keys/<key>/metadata returns 200 with a JSON object", kMust, [=](Session& s) {
          return Expect200Object(meta(s, s.config().tenant.key_id, MetadataBody()));
        });
  b.Add("metadata.key-spec-aes-256", "metadata", "GetKeyMetadata response",
        "keySpec is the string AES_256", kMust, [=](Session& s) {
          Call c = meta(s, s.config().tenant.key_id, MetadataBody());
          auto v = StringField(c, "keySpec");
          if (!v) return Failed(c.status() == 200 ? "keySpec missing" : c.Describe());
          return *v == "AES_256" ? Pass("keySpec " + *v) : Failed("keySpec " + *v);
        });
  b.Add("metadata.key-usage-encrypt-decrypt", "metadata", "GetKeyMetadata response",
        "keyUsage is an array of strings containing ENCRYPT and DECRYPT for the normal key", kMust,
        [=](Session& s) {
          Call c = meta(s, s.config().tenant.key_id, MetadataBody());
          if (c.status() != 200 || !c.json || !c.json->is_object()) return Failed(c.Describe());
          auto it = c.json->find("keyUsage");
          if (it == c.json->end() || !it->is_array()) return Failed("keyUsage not an array");
          std::set<std::string> values;
          for (const auto& v : *it) {
            if (!v.is_string()) return Failed("keyUsage holds a non-string: " + v.dump());
            values.insert(v.get<std::string>());
          }
          if (!values.count("ENCRYPT") || !values.count("DECRYPT")) {
            return Failed("keyUsage " + it->dump());
          }
          return Pass("keyUsage " + it->dump());
        });
  b.Add("metadata.key-usage-at-most-10", "metadata", "GetKeyMetadata response",
        "keyUsage has no more than ten values", kMust, [=](Session& s) {
          Call c = meta(s, s.config().tenant.key_id, MetadataBody());
          if (c.status() != 200 || !c.json || !c.json->is_object()) return Failed(c.Describe());
          auto it = c.json->find("keyUsage");
          if (it == c.json->end() || !it->is_array()) return Failed("keyUsage not an array");
          std::string n = std::to_string(it->size()) + " values";
          return it->size() <= 10 ? Pass(n) : Failed(n);
        });
  b.Add("metadata.key-status-enabled", "metadata", "GetKeyMetadata response",
        "keyStatus is ENABLED for the normal key", kMust, [=](Session& s) {
          Call c = meta(s, s.config().tenant.key_id, MetadataBody());
          auto v = StringField(c, "keyStatus");
          if (!v) return Failed(c.status() == 200 ? "keyStatus missing" : c.Describe());
          return *v == "ENABLED" ? Pass("keyStatus " + *v) : Failed("keyStatus " + *v);
        });
  b.Add("metadata.unknown-key-404", "metadata", "Error codes",
        "an unknown externalKeyId gives 404 KeyNotFoundException", kMust, [=](Session& s) {
          return ExpectError(meta(s, "xks-conformance-no-such-key", MetadataBody()), 404,
                             {"KeyNotFoundException"});
        });
  b.Add("metadata.arn-2048-accepted", "metadata", "API operations (ARN length)",
        "an awsPrincipalArn of 2048 characters is accepted", kMust, [=](Session& s) {
          json body = MetadataBody();
          body["requestMetadata"]["awsPrincipalArn"] = Arn2048();
          return Expect200Object(meta(s, s.config().tenant.key_id, body));
        });
  b.Add("metadata.unknown-kms-operation-accepted", "metadata", "GetKeyMetadata request",
        "an unknown kmsOperation is not rejected", kMust, [=](Session& s) {
          json body = MetadataBody();
          body["requestMetadata"]["kmsOperation"] = "SomeFutureOperation";
          return Expect200Object(meta(s, s.config().tenant.key_id, body));
        });
  b.Add("metadata.opaque-request-id-accepted", "metadata", "GetKeyMetadata request",
        "a non-UUID kmsRequestId is accepted", kMust, [=](Session& s) {
          json body = MetadataBody();
          body["requestMetadata"]["kmsRequestId"] = "not-a-uuid:#42 opaque";
          return Expect200Object(meta(s, s.config().tenant.key_id, body));
        });
  b.Add("metadata.unknown-fields-accepted", "metadata", "Appendix B",
        "unknown requestMetadata and top-level fields are tolerated", kShould, [=](Session& s) {
          json body = MetadataBody();
          body["requestMetadata"]["kmsRecipientAttestationPCR0"] = "00";
          body["someFutureField"] = true;
          return Expect200Object(meta(s, s.config().tenant.key_id, body));
        });
  b.Add("metadata.malformed-json-400", "metadata", "Error codes",
        "a body that is not JSON gives 400 ValidationException", kMust, [=](Session& s) {
          return ExpectError(s.Send(s.KeyPath(s.config().tenant.key_id, "metadata"), "{not json"),
                             400, {"ValidationException"});
        });
  b.Add("metadata.disabled-key-reported", "metadata", "GetKeyMetadata response; Error codes",
        "the disabled key reports keyStatus DISABLED (or 400 InvalidStateException)", kShould,
        [=](Session& s) {
          if (s.config().disabled_key_id.empty()) return Skip("no disabled key configured");
          Call c = meta(s, s.config().disabled_key_id, MetadataBody());
          if (c.status() == 400 && c.ErrorName() == "InvalidStateException") {
            return Pass(c.Describe());
          }
          auto v = StringField(c, "keyStatus");
          if (c.status() == 200 && v && *v == "DISABLED") return Pass("keyStatus DISABLED");
          return Failed(v ? "keyStatus " + *v : c.Describe());
        });
}

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

void AddErrorCases(CatalogueBuilder& b) {
  b.Add("errors.body-is-json-with-error-name", "errors", "Error codes",
        "an error response is application/json with a string errorName", kMust, [](Session& s) {
          Call c =
              s.Send(s.KeyPath("xks-conformance-no-such-key", "metadata"), MetadataBody().dump());
          if (!c.ok()) return Failed(c.Describe());
          std::string ct = c.response.HeaderValue("Content-Type");
          if (ct.rfind("application/json", 0) != 0) return Failed("Content-Type '" + ct + "'");
          if (c.ErrorName().empty()) return Failed("no string errorName: " + c.Describe());
          return Pass(c.Describe());
        });
  b.Add("errors.error-message-printable", "errors", "Error codes",
        "errorMessage, when present, is under 512 printable ASCII characters", kMust,
        [](Session& s) {
          std::vector<Call> calls;
          calls.push_back(
              s.Send(s.KeyPath("xks-conformance-no-such-key", "metadata"), MetadataBody().dump()));
          calls.push_back(s.Send(s.KeyPath(s.config().tenant.key_id, "encrypt"), "{}"));
          SendOptions bad;
          bad.secret_override = "wrong-secret-wrong-secret-wrong-secret-00000";
          calls.push_back(s.Send(s.HealthPath(), HealthBody().dump(), bad));
          int seen = 0;
          for (const Call& c : calls) {
            if (!c.json || !c.json->is_object() || !c.json->contains("errorMessage")) continue;
            const json& m = (*c.json)["errorMessage"];
            if (!m.is_string()) return Failed("errorMessage is not a string");
            std::string msg = m.get<std::string>();
            if (msg.size() >= 512) return Failed("errorMessage has " + std::to_string(msg.size()));
            for (char ch : msg) {
              if (ch < 0x20 || ch > 0x7e) return Failed("non-printable character in errorMessage");
            }
            ++seen;
          }
          return Pass(std::to_string(seen) + " errorMessage(s) checked");
        });
  auto get405 = [](std::string op) {
    return [op](Session& s) {
      SendOptions o;
      o.method = "GET";
      std::string path = op == "health" ? s.HealthPath() : s.KeyPath(s.config().tenant.key_id, op);
      Call c = s.Send(path, "", o);
      return c.status() == 405 ? Pass(c.Describe()) : Failed(c.Describe());
    };
  };
  for (const char* op : {"health", "metadata", "encrypt", "decrypt"}) {
    b.Add(std::string("errors.get-") + op + "-405", "errors", "API operations",
          std::string("a (signed) GET on the ") + op + " URI gives 405", kMust, get405(op));
  }
  auto bad_path = [](std::function<std::string(Session&)> path, bool allow_key_not_found) {
    return [=](Session& s) {
      Call c = s.Send(path(s), EncryptBody("x", std::nullopt, false).dump());
      if (allow_key_not_found) {
        return ExpectError(c, 404, {"InvalidUriPathException", "KeyNotFoundException"});
      }
      return ExpectError(c, 404, {"InvalidUriPathException"});
    };
  };
  b.Add("errors.uri-wrong-version-404", "errors", "Error codes; API operations",
        "/kms/xks/v2/... gives 404 InvalidUriPathException", kMust,
        bad_path(
            [](Session& s) {
              return s.config().tenant.uri_prefix + "/kms/xks/v2/keys/" + s.config().tenant.key_id +
                     "/encrypt";
            },
            false));
  b.Add("errors.uri-missing-key-id-404", "errors", "Error codes; API operations",
        ".../keys//encrypt gives 404 InvalidUriPathException", kMust,
        bad_path([](Session& s) { return s.Base(s.config().tenant) + "/keys//encrypt"; }, false));
  b.Add("errors.uri-extra-segment-404", "errors", "Error codes; API operations",
        ".../keys/<key>/encrypt/extra gives 404 InvalidUriPathException", kMust,
        bad_path([](Session& s) { return s.KeyPath(s.config().tenant.key_id, "encrypt/extra"); },
                 false));
  b.Add("errors.uri-unknown-operation-404", "errors", "Error codes; API operations",
        ".../keys/<key>/sign gives 404 InvalidUriPathException", kMust,
        bad_path([](Session& s) { return s.KeyPath(s.config().tenant.key_id, "sign"); }, false));
  b.Add("errors.uri-bad-key-id-characters-404", "errors", "API operations (externalKeyId)",
        "an externalKeyId with characters outside [A-Za-z0-9._-] gives 404 InvalidUriPathException",
        kMust, bad_path([](Session& s) { return s.KeyPath("bad!key$id", "encrypt"); }, false));
  b.Add("errors.uri-key-id-129-chars-404", "errors", "API operations (externalKeyId)",
        "a 129-character externalKeyId gives 404 (InvalidUriPathException or KeyNotFoundException)",
        kShould,
        bad_path([](Session& s) { return s.KeyPath(std::string(129, 'k'), "encrypt"); }, true));
  b.Add("errors.uri-unknown-prefix-404", "errors", "Error codes; API operations",
        "an unconfigured path prefix gives 404 InvalidUriPathException", kShould,
        bad_path(
            [](Session& s) {
              return "/xks-conformance-no-such-prefix" + s.config().tenant.uri_prefix +
                     "/kms/xks/v1/health";
            },
            false));
}

void AddAuthCases(CatalogueBuilder& b) {
  auto expect401 = [](std::function<void(SendOptions&)> tweak) {
    return [=](Session& s) {
      SendOptions o;
      tweak(o);
      return ExpectError(s.Send(s.HealthPath(), HealthBody().dump(), o), 401,
                         {"AuthenticationFailedException"});
    };
  };
  b.Add("auth.wrong-secret-401", "auth", "Authentication; Appendix A",
        "a signature made with the wrong secret gives 401 AuthenticationFailedException", kMust,
        expect401([](SendOptions& o) {
          o.secret_override = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        }));
  b.Add("auth.unknown-access-key-id-401", "auth", "Appendix A",
        "an unknown access key id gives 401 AuthenticationFailedException", kMust,
        expect401([](SendOptions& o) { o.access_key_id_override = "AAAAXKSCONFORMANCEUNKNOWN"; }));
  b.Add("auth.clock-skew-plus-6min-401", "auth", "Appendix A, Task 4",
        "X-Amz-Date 6 minutes in the future gives 401 AuthenticationFailedException", kShould,
        expect401([](SendOptions& o) { o.clock_skew = std::chrono::seconds(360); }));
  b.Add("auth.clock-skew-minus-6min-401", "auth", "Appendix A, Task 4",
        "X-Amz-Date 6 minutes in the past gives 401 AuthenticationFailedException", kShould,
        expect401([](SendOptions& o) { o.clock_skew = std::chrono::seconds(-360); }));
  b.Add("auth.clock-skew-2min-accepted", "auth", "Appendix A, Task 4",
        "X-Amz-Date 2 minutes off is accepted (clock drift allowance)", kShould, [](Session& s) {
          SendOptions o;
          o.clock_skew = std::chrono::seconds(-120);
          return Expect200Object(s.Send(s.HealthPath(), HealthBody().dump(), o));
        });
  b.Add("auth.body-changed-after-signing-401", "auth", "Appendix A, Task 1",
        "a body altered after signing gives 401 AuthenticationFailedException", kMust,
        expect401([](SendOptions& o) {
          o.after_sign = [](HttpRequest& r) { r.body.insert(r.body.size() - 1, ",\"x\":1"); };
        }));
  b.Add("auth.header-changed-after-signing-401", "auth", "Appendix A, Task 1",
        "a signed header (X-Amz-Date, +1 s) altered after signing gives 401", kMust,
        expect401([](SendOptions& o) {
          o.after_sign = [](HttpRequest& r) {
            for (auto& [k, v] : r.headers) {
              if (k == "X-Amz-Date" && v.size() == 16) {
                // Move the seconds digit by one: still a valid, recent time, but not the signed
                // one.
                v[14] = v[14] == '0' ? '1' : static_cast<char>(v[14] - 1);
              }
            }
          };
        }));
  b.Add("auth.path-changed-after-signing-401", "auth", "Appendix A, Task 1",
        "a request sent to another URI than the one signed gives 401", kMust, [](Session& s) {
          SendOptions o;
          std::string meta = s.KeyPath(s.config().tenant.key_id, "metadata");
          o.after_sign = [meta](HttpRequest& r) { r.target = meta; };
          return ExpectError(s.Send(s.HealthPath(), MetadataBody().dump(), o), 401,
                             {"AuthenticationFailedException"});
        });
  b.Add("auth.missing-x-amz-date-401", "auth", "Appendix A",
        "a request without X-Amz-Date gives 401", kMust, expect401([](SendOptions& o) {
          o.after_sign = [](HttpRequest& r) {
            std::erase_if(r.headers, [](const Header& h) { return h.first == "X-Amz-Date"; });
          };
        }));
  b.Add("auth.unsigned-request-401", "auth", "Authentication",
        "a request without Authorization gives 401", kMust,
        expect401([](SendOptions& o) { o.sign = false; }));
  b.Add("auth.malformed-authorization-401", "auth", "Appendix A",
        "a garbage Authorization header gives 401", kMust, expect401([](SendOptions& o) {
          o.after_sign = [](HttpRequest& r) {
            for (auto& [k, v] : r.headers) {
              if (k == "Authorization") v = "AWS4-HMAC-SHA256 garbage";
            }
          };
        }));
  b.Add("auth.wrong-service-401", "auth", "Appendix A",
        "a signature scoped to service 'kms' instead of 'kms-xks-proxy' gives 401", kMust,
        expect401([](SendOptions& o) { o.service = "kms"; }));
  b.Add("auth.extra-signed-header-accepted", "auth", "Appendix A; Appendix D",
        "a signature that also covers content-type (as curl --aws-sigv4 does) is accepted", kShould,
        [](Session& s) {
          SendOptions o;
          o.signed_headers = {"content-type", "host", "x-amz-date"};
          return Expect200Object(s.Send(s.HealthPath(), HealthBody().dump(), o));
        });
  b.Add("auth.tenant2-own-prefix-works", "auth", "API operations (path prefix)",
        "the second tenant's credentials work on its own prefix", kMust, [](Session& s) {
          if (!s.config().HasTenant2()) return Skip("no second tenant configured");
          const TenantConfig& t2 = s.config().tenant2;
          SendOptions o;
          o.tenant = &t2;
          return Expect200Object(
              s.Send(s.Base(t2) + "/keys/" + t2.key_id + "/metadata", MetadataBody().dump(), o));
        });
  b.Add("auth.tenant2-credentials-refused-on-tenant1", "auth",
        "API operations (path prefix); Authentication",
        "the second tenant's credentials on the first tenant's prefix give 401", kMust,
        [](Session& s) {
          if (!s.config().HasTenant2()) return Skip("no second tenant configured");
          SendOptions o;
          o.tenant = &s.config().tenant2;
          return ExpectError(s.Send(s.HealthPath(), HealthBody().dump(), o), 401,
                             {"AuthenticationFailedException"});
        });
  b.Add("auth.cross-tenant-ciphertext-refused", "auth", "API operations (path prefix)",
        "ciphertext from the first tenant does not decrypt under the second tenant's key "
        "(400 InvalidCiphertextException)",
        kMust, [](Session& s) {
          if (!s.config().HasTenant2()) return Skip("no second tenant configured");
          auto e = Encrypt(s, s.config().tenant.key_id, "tenant one secret", std::nullopt);
          if (!e.sealed) return Failed("encrypt failed: " + e.why);
          const TenantConfig& t2 = s.config().tenant2;
          SendOptions o;
          o.tenant = &t2;
          return ExpectError(s.Send(s.Base(t2) + "/keys/" + t2.key_id + "/decrypt",
                                    DecryptBody(*e.sealed, std::nullopt).dump(), o),
                             400, {"InvalidCiphertextException"});
        });
  b.Add("auth.cross-tenant-key-id-refused", "auth", "API operations (path prefix)",
        "the first tenant's key id used through the second tenant gives 404 KeyNotFoundException "
        "or 403 AccessDeniedException",
        kMust, [](Session& s) {
          if (!s.config().HasTenant2()) return Skip("no second tenant configured");
          const TenantConfig& t2 = s.config().tenant2;
          SendOptions o;
          o.tenant = &t2;
          Call c = s.Send(s.Base(t2) + "/keys/" + s.config().tenant.key_id + "/encrypt",
                          EncryptBody("x", std::nullopt, false).dump(), o);
          if ((c.status() == 404 && c.ErrorName() == "KeyNotFoundException") ||
              (c.status() == 403 && c.ErrorName() == "AccessDeniedException")) {
            return Pass(c.Describe());
          }
          return Failed(c.Describe());
        });
}

void AddTransportCases(CatalogueBuilder& b) {
  b.Add("transport.http-1-1", "transport", "API content type", "the endpoint speaks HTTP/1.1",
        kMust, [](Session& s) {
          Call c = s.Send(s.HealthPath(), HealthBody().dump());
          if (!c.ok()) return Failed(c.Describe());
          return c.response.version == "HTTP/1.1" ? Pass(c.response.version)
                                                  : Failed(c.response.version);
        });
  b.Add("transport.keep-alive", "transport", "API content type (HTTP/1.1)",
        "many requests succeed on one persistent connection", kMust, [](Session& s) {
          auto conn = HttpConnection::Open(s.Connect());
          if (!conn.ok()) return Failed(conn.error());
          const int n = s.config().keepalive_requests;
          for (int i = 0; i < n; ++i) {
            Call c = i % 2 == 0 ? s.SendOn(**conn, s.HealthPath(), HealthBody().dump())
                                : s.SendOn(**conn, s.KeyPath(s.config().tenant.key_id, "encrypt"),
                                           EncryptBody("keep-alive", std::nullopt, false).dump());
            if (c.status() != 200) {
              return Failed("request " + std::to_string(i + 1) + ": " + c.Describe());
            }
            if (c.response.server_closes && i + 1 < n) {
              return Failed("server closed the connection after request " + std::to_string(i + 1));
            }
          }
          return Pass(std::to_string(n) + " requests on one connection");
        });
  b.Add("transport.tls-1-2-or-later", "transport", "API content type (TLS)",
        "TLS 1.2 or later is negotiated", kMust, [](Session& s) {
          if (!s.config().tls) return Skip("endpoint is http://");
          auto conn = HttpConnection::Open(s.Connect());
          if (!conn.ok()) return Failed(conn.error());
          std::string v = (*conn)->TlsVersion();
          return v == "TLSv1.2" || v == "TLSv1.3" ? Pass(v) : Failed(v);
        });
  b.Add("transport.tls-cipher-suite-allowed", "transport", "API content type (TLS)",
        "the negotiated suite is TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 or TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        kMust, [](Session& s) {
          if (!s.config().tls) return Skip("endpoint is http://");
          auto conn = HttpConnection::Open(s.Connect());
          if (!conn.ok()) return Failed(conn.error());
          std::string c = (*conn)->TlsCipher();
          static const std::set<std::string> kAllowed = {
              "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
              "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"};
          return kAllowed.count(c) ? Pass(c) : Failed(c + " (" + (*conn)->TlsVersion() + ")");
        });
  b.Add("transport.latency-fresh-connection", "transport", "Encrypt (KMS considerations)",
        "median time of an encrypt on a new connection (TCP+TLS+request) is under 250 ms", kMust,
        [](Session& s) {
          std::vector<double> ms;
          for (int i = 0; i < s.config().latency_samples; ++i) {
            auto start = std::chrono::steady_clock::now();
            Call c = s.Send(s.KeyPath(s.config().tenant.key_id, "encrypt"),
                            EncryptBody(RandomByteString(32), std::nullopt, false).dump());
            auto end = std::chrono::steady_clock::now();
            if (c.status() != 200) return Failed("encrypt: " + c.Describe());
            ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
          }
          std::sort(ms.begin(), ms.end());
          double median =
              ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
          char buf[128];
          std::snprintf(buf, sizeof(buf), "median %.1f ms, max %.1f ms over %zu samples", median,
                        ms.back(), ms.size());
          return median < kLatencyBudgetMs ? Pass(buf) : Failed(buf);
        });
  b.Add("transport.mtls-client-cert-accepted", "transport", "Authentication (mTLS)",
        "requests presenting the configured client certificate succeed", kMust, [](Session& s) {
          if (s.config().client_cert_file.empty()) return Skip("no client certificate configured");
          if (!s.config().tls) return Skip("endpoint is http://");
          return Expect200Object(s.Send(s.HealthPath(), HealthBody().dump()));
        });
  b.Add("transport.mtls-no-cert-refused", "transport", "Authentication (mTLS)",
        "a connection without a client certificate gets no successful response", kShould,
        [](Session& s) {
          if (s.config().client_cert_file.empty()) return Skip("no client certificate configured");
          if (!s.config().tls) return Skip("endpoint is http://");
          SendOptions o;
          o.client_cert = false;
          Call c = s.Send(s.HealthPath(), HealthBody().dump(), o);
          if (c.status() == 200) return Failed("HTTP 200 without a client certificate");
          return Pass(c.Describe());
        });
}

std::vector<Case> Build() {
  CatalogueBuilder b;
  AddHealthCases(b);
  AddMetadataCases(b);
  AddEncryptCases(b);
  AddDecryptCases(b);
  AddErrorCases(b);
  AddAuthCases(b);
  AddTransportCases(b);
  return b.Take();
}

}  // namespace

const std::vector<Case>& Catalogue() {
  static const std::vector<Case> kCases = Build();
  return kCases;
}

bool MatchesAny(const std::string& id, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (p.find_first_of("*?[") != std::string::npos) {
      if (fnmatch(p.c_str(), id.c_str(), 0) == 0) return true;
    } else if (id.rfind(p, 0) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<CaseResult> RunConformance(const Config& config) {
  // OpenSSL writes to the socket with write(2): a peer that hangs up (e.g. refusing a client
  // certificate) must surface as an error on the case, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  Session session(config);
  std::vector<CaseResult> results;
  for (const Case& c : Catalogue()) {
    if (!MatchesAny(c.info.id, config.only)) continue;
    auto start = std::chrono::steady_clock::now();
    Verdict v = c.run(session);
    CaseResult r;
    r.info = c.info;
    r.outcome = v.outcome;
    r.observed = std::move(v.observed);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace xks::conformance
