// XksService under tenants[].quota and server.max_concurrent_hsm (issue 15): a request beyond a
// limit is answered 429 ThrottlingException at once (never scheduled), audited, and its log line
// names the limit; the other tenant and health checks are unaffected; the HSM slot is held until
// the HSM work has really finished (through the fleet retry, past the DeadlineWatch's answer)
// and given back on every path.

#include <gtest/gtest.h>

#include "proxy/api/backend_errors.h"
#include "proxy/api/testing/fleet_service_fixture.h"
#include "proxy/api/xks_service.h"

namespace xks::api {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: test fakes

class XksServiceQuotaTest : public FleetServiceFixture {
 protected:
  void SetAcmeQuota(json quota) {
    Reconfigure([&](json& d) { d["tenants"][0]["quota"] = std::move(quota); });
  }
  HttpResponse Health(const std::string& tenant = "acme") {
    return Call(tenant, "health",
                {{"requestMetadata", {{"kmsRequestId", "r-1"}, {"kmsOperation", "CreateKey"}}}});
  }
  // Starts an encrypt whose answer lands in `answers_` (for work the backend holds).
  void StartEncrypt(const std::string& tenant) {
    service_->HandleAsync(Request(tenant, "keys/k1/encrypt", EncryptBody()),
                          [this](HttpResponse response) {
                            std::lock_guard l(answers_mu_);
                            answers_.push_back(std::move(response));
                          });
  }
  std::vector<HttpResponse> Answers() {
    std::lock_guard l(answers_mu_);
    return answers_;
  }
  const TenantQuotas& quotas() const { return service_->quotas(); }

  std::mutex answers_mu_;
  std::vector<HttpResponse> answers_;
};

TEST_F(XksServiceQuotaTest, BeyondItsRateATenantIsThrottledAtOnceAndAudited) {
  SetAcmeQuota({{"requests_per_second", 2}});
  EXPECT_EQ(Encrypt().status, 200);
  EXPECT_EQ(Encrypt().status, 200);
  const int encrypts = backend_.calls("Encrypt");
  const HttpResponse throttled = Encrypt();
  EXPECT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_EQ(ErrorNameOf(throttled), "ThrottlingException");
  EXPECT_EQ(throttled.body.find("acme"), std::string::npos) << "the limit is for operators";
  EXPECT_EQ(backend_.calls("Encrypt"), encrypts) << "never reached the HSM";
  const audit::AuditEvent record = audit_.events().back();
  EXPECT_EQ(record.result, "ThrottlingException");
  EXPECT_EQ(record.http_status, 429);
  EXPECT_EQ(record.tenant, "acme");
  EXPECT_EQ(record.access_key_id, kAcmeAccessKey);
  EXPECT_TRUE(Logged("status=429 result=ThrottlingException"));
  EXPECT_TRUE(Logged("detail=tenant acme requests_per_second 2"));

  EXPECT_EQ(Encrypt("globex").status, 200) << "the other tenant is unaffected";
  EXPECT_EQ(Health().status, 200) << "health is never throttled";
  clock_.Advance(std::chrono::milliseconds(500));  // one token at 2/s
  EXPECT_EQ(Encrypt().status, 200);
  EXPECT_EQ(Encrypt().status, 429);
}

TEST_F(XksServiceQuotaTest, AReloadKeepsAnUnchangedBucketAndAChangedQuotaStartsFresh) {
  SetAcmeQuota({{"requests_per_second", 1}});
  EXPECT_EQ(Encrypt().status, 200);
  EXPECT_EQ(Encrypt().status, 429);
  SetAcmeQuota({{"requests_per_second", 1}});  // the same quota in a new snapshot
  EXPECT_EQ(Encrypt().status, 429);
  SetAcmeQuota({{"requests_per_second", 1}, {"burst", 2}});
  EXPECT_EQ(Encrypt().status, 200);
  EXPECT_EQ(Encrypt().status, 200);
  EXPECT_EQ(Encrypt().status, 429);
  Reconfigure([](json& d) { d["tenants"][0].erase("quota"); });
  EXPECT_EQ(Encrypt().status, 200);
}

TEST_F(XksServiceQuotaTest, TheSlotIsHeldUntilTheHungHsmFinishesNotJustUntilTheDeadlineAnswer) {
  SetAcmeQuota({{"max_concurrent_hsm", 1}});
  backend_.Hold();
  StartEncrypt("acme");
  EXPECT_EQ(quotas().InFlight("acme"), 1);
  const HttpResponse second = Encrypt();
  EXPECT_EQ(second.status, 429) << second.body;
  EXPECT_TRUE(Logged("detail=tenant acme max_concurrent_hsm 1"));
  StartEncrypt("globex");  // another tenant's operation is admitted (and held too)
  EXPECT_EQ(quotas().ServerInFlight(), 2);

  clock_.Advance(std::chrono::milliseconds(215));  // budget 200 ms + grace 15 ms
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 2u);
  ASSERT_EQ(Answers().size(), 2u);
  EXPECT_EQ(Answers()[0].status, 503);
  // The HSM is still busy with the first operation: its place is still taken.
  EXPECT_EQ(quotas().InFlight("acme"), 1);
  EXPECT_EQ(Encrypt().status, 429);

  backend_.Release();  // the HSM finishes at last
  EXPECT_EQ(quotas().InFlight("acme"), 0);
  EXPECT_EQ(quotas().ServerInFlight(), 0);
  EXPECT_EQ(Encrypt().status, 200);
}

TEST_F(XksServiceQuotaTest, TheServerCapProtectsTheHsmsFromAllTenantsTogether) {
  Reconfigure([](json& d) { d["server"]["max_concurrent_hsm"] = 1; });
  backend_.Hold();
  StartEncrypt("acme");
  const HttpResponse refused = Encrypt("globex");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(ErrorNameOf(refused), "ThrottlingException");
  EXPECT_TRUE(Logged("detail=server max_concurrent_hsm 1"));
  EXPECT_EQ(audit_.events().back().tenant, "globex");
  EXPECT_EQ(Health("globex").status, 200);
  backend_.Release();
  ASSERT_EQ(Answers().size(), 1u);
  EXPECT_EQ(Answers()[0].status, 200);
  EXPECT_EQ(Encrypt("globex").status, 200);
}

TEST_F(XksServiceQuotaTest, TheSlotIsHeldThroughTheFleetRetryAndGivenBackAfterIt) {
  SetAcmeQuota({{"max_concurrent_hsm", 1}});
  std::vector<std::int64_t> in_flight_at_failure;
  backend_.on_failure = [&] { in_flight_at_failure.push_back(quotas().InFlight("acme")); };
  backend_.SetFailing("tok-acme", ErrorName::kInternal);
  EXPECT_EQ(Encrypt().status, 200);  // failed on tok-acme, retried on tok-acme-b
  EXPECT_EQ(in_flight_at_failure, std::vector<std::int64_t>{1});
  EXPECT_EQ(quotas().InFlight("acme"), 0);

  backend_.SetFailing("tok-acme-b", ErrorName::kInternal);  // both members fail
  EXPECT_EQ(Encrypt().status, 500);
  EXPECT_EQ(in_flight_at_failure, (std::vector<std::int64_t>{1, 1, 1}));
  EXPECT_EQ(quotas().InFlight("acme"), 0);
  EXPECT_EQ(quotas().ServerInFlight(), 0);
}

TEST_F(XksServiceQuotaTest, TheSlotIsGivenBackWhenTheTokenRefusesTheWorkOrTheOperationFails) {
  SetAcmeQuota({{"max_concurrent_hsm", 1}});
  backend_.refusal = HsmFailure(ErrorName::kThrottling, "token tok-acme: queue full");
  EXPECT_EQ(Encrypt().status, 429);
  EXPECT_EQ(quotas().InFlight("acme"), 0);
  backend_.refusal.reset();
  backend_.FailNext("Encrypt", MakeError(ErrorName::kKeyNotFound, "no such key"));
  EXPECT_NE(Encrypt().status, 200);
  EXPECT_EQ(quotas().InFlight("acme"), 0);
  EXPECT_EQ(Encrypt().status, 200);
  EXPECT_EQ(quotas().ServerInFlight(), 0);
}

}  // namespace
}  // namespace xks::api
