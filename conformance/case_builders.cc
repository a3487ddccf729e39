#include "conformance/case_builders.h"

#include "base/base64.h"
#include "base/bytes.h"
#include "base/hex.h"
#include "base/random.h"

namespace xks::conformance::cases {

Verdict Pass(std::string observed) { return {Outcome::kPass, std::move(observed)}; }
Verdict Failed(std::string observed) { return {Outcome::kFail, std::move(observed)}; }
Verdict Skip(std::string why) { return {Outcome::kSkip, std::move(why)}; }

// Random test data as bytes in a string (the runner's byte type). A failing CSPRNG aborts
// (xks::RandomBytes): a conformance run on predictable data would prove nothing.
std::string RandomByteString(size_t n) { return std::string(AsChars(xks::RandomBytes(n).span())); }

namespace {

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

}  // namespace

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

Encrypted Encrypt(Session& s, const std::string& key, const std::string& plaintext,
                  const std::optional<std::string>& aad, bool cdiv) {
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

std::string Arn2048() {
  std::string prefix = "arn:aws:iam::123456789012:role/";
  return prefix + std::string(2048 - prefix.size(), 'a');
}

}  // namespace xks::conformance::cases
