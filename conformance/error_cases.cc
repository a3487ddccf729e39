// Conformance cases, errors: the error body and the URIs that must give 404.
#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

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

}  // namespace xks::conformance::cases
