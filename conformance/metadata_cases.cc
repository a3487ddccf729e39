// Conformance cases, GetKeyMetadata: key spec, usages and status, tolerated inputs and errors.
#include <set>

#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

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

}  // namespace xks::conformance::cases
