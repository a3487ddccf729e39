#pragma once
// Building blocks the case families share: verdicts, KMS-shaped request bodies, the encrypt and
// decrypt calls, response checks and the builder that collects cases in report order. Internal to
// conformance/ (the *_cases.cc files and runner.cc); not part of the runner's interface.

#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "conformance/runner.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

using nlohmann::json;

Verdict Pass(std::string observed);
Verdict Failed(std::string observed);
Verdict Skip(std::string why);

/// `n` random bytes in a string (the runner's byte type).
std::string RandomByteString(size_t n);

/// Request bodies as KMS sends them, each with fresh request metadata.
json HealthBody();
json MetadataBody();
json EncryptBody(const std::string& plaintext, const std::optional<std::string>& aad, bool cdiv);

/// The decoded fields of a successful encrypt response.
struct Sealed {
  std::string ciphertext, iv, tag;
  std::optional<std::string> metadata;  // ciphertextMetadata
  std::optional<std::string> cdiv;
};

json DecryptBody(const Sealed& s, const std::optional<std::string>& aad);

/// The string field `name` of a JSON object response, if present.
std::optional<std::string> StringField(const Call& c, const char* name);

/// Parses an encrypt response; on failure `why` says what was wrong.
std::optional<Sealed> ParseSealed(const Call& c, std::string& why);

/// An encrypt call and, when it succeeded, its parsed response.
struct Encrypted {
  Call call;
  std::optional<Sealed> sealed;
  std::string why;
};

Encrypted Encrypt(Session& s, const std::string& key, const std::string& plaintext,
                  const std::optional<std::string>& aad, bool cdiv = false);
Call Decrypt(Session& s, const std::string& key, const Sealed& sealed,
             const std::optional<std::string>& aad);

/// Passes when the call got `status` with one of the error `names`.
Verdict ExpectError(const Call& c, int status, std::initializer_list<const char*> names);
/// Passes on HTTP 200 with a JSON object body.
Verdict Expect200Object(const Call& c);

/// An IAM role ARN padded to 2048 characters, for the ARN-length cases.
std::string Arn2048();

/// Collects the catalogue in the order the families add their cases.
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

inline constexpr bool kMust = true;
inline constexpr bool kShould = false;

}  // namespace xks::conformance::cases
