// Conformance cases, GetHealthStatus: the response fields and tolerance of unknown request content.
#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

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

}  // namespace xks::conformance::cases
