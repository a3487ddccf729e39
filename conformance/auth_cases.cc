// Conformance cases, SigV4 authentication and tenant isolation.
#include <chrono>

#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance::cases {

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

}  // namespace xks::conformance::cases
