// XksService on a tenant served by a fleet of two tokens (tenants[].tokens, issue 14): where each
// attempt goes, the one retry on the other member after a member's failure, and GetHealthStatus
// listing every member.

#include <gtest/gtest.h>

#include <set>

#include "base/base64.h"
#include "proxy/api/testing/fakes.h"
#include "proxy/api/testing/fleet_service_fixture.h"
#include "proxy/api/xks_service.h"

namespace xks::api {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: test fakes

class XksServiceFleetTest : public FleetServiceFixture {
 protected:
  HttpResponse Decrypt(const json& sealed) {
    return Call("acme", "keys/k1/decrypt",
                {{"requestMetadata", Metadata("Decrypt")},
                 {"ciphertext", sealed["ciphertext"]},
                 {"ciphertextMetadata", sealed["ciphertextMetadata"]},
                 {"initializationVector", sealed["initializationVector"]},
                 {"authenticationTag", sealed["authenticationTag"]},
                 {"encryptionAlgorithm", "AES_GCM"}});
  }
  void SetHealthy(const std::string& token, bool healthy) {
    backend_.SetHealth(token, healthy);
    health_->CheckNow();
  }
};

TEST_F(XksServiceFleetTest, RequestsGoToAHealthyMember) {
  ASSERT_EQ(Encrypt().status, 200);
  EXPECT_EQ(backend_.TakeReached(), std::vector<std::string>{"tok-acme"});  // the first listed
  SetHealthy("tok-acme", false);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Encrypt().status, 200);
  EXPECT_EQ(backend_.TakeReached(), (std::vector<std::string>(3, "tok-acme-b")));
  SetHealthy("tok-acme", true);
  ASSERT_EQ(Encrypt().status, 200);
  EXPECT_EQ(backend_.TakeReached(), std::vector<std::string>{"tok-acme"});
}

TEST_F(XksServiceFleetTest, AMembersFailureIsRetriedOnceOnTheOther) {
  for (ErrorName name : {ErrorName::kInternal, ErrorName::kDependencyTimeout}) {
    backend_.SetFailing("tok-acme", name);
    HttpResponse r = Encrypt();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(backend_.TakeReached(), (std::vector<std::string>{"tok-acme", "tok-acme-b"}));
    EXPECT_EQ(audit_.events().back().result, "OK");
  }
}

TEST_F(XksServiceFleetTest, ADecryptIsRetriedOnTheOtherMemberToo) {
  HttpResponse sealed = Encrypt();
  ASSERT_EQ(sealed.status, 200);
  backend_.TakeReached();
  backend_.SetFailing("tok-acme", ErrorName::kInternal);
  HttpResponse r = Decrypt(json::parse(sealed.body));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(backend_.TakeReached(), (std::vector<std::string>{"tok-acme", "tok-acme-b"}));
}

TEST_F(XksServiceFleetTest, OnlyOneRetryWhenBothMembersFail) {
  backend_.SetFailing("tok-acme", ErrorName::kInternal);
  backend_.SetFailing("tok-acme-b", ErrorName::kDependencyTimeout);
  HttpResponse r = Encrypt();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(ErrorNameOf(r), "DependencyTimeoutException");
  EXPECT_EQ(backend_.TakeReached(), (std::vector<std::string>{"tok-acme", "tok-acme-b"}));
  // The operator's log line names the first failure too.
  bool logged = false;
  for (const std::string& line : logger_.lines()) {
    logged =
        logged || line.find("after failing on tok-acme: InternalException") != std::string::npos;
  }
  EXPECT_TRUE(logged);
}

TEST_F(XksServiceFleetTest, NoRetryOnAMemberThatCannotServe) {
  SetHealthy("tok-acme-b", false);
  backend_.SetFailing("tok-acme", ErrorName::kInternal);
  HttpResponse r = Encrypt();
  EXPECT_EQ(r.status, 500) << r.body;  // at once, not after waiting on the broken member
  EXPECT_EQ(backend_.TakeReached(), std::vector<std::string>{"tok-acme"});
}

TEST_F(XksServiceFleetTest, TheRequestsOwnErrorsAreNotRetried) {
  HttpResponse sealed = Encrypt();
  ASSERT_EQ(sealed.status, 200);
  backend_.TakeReached();
  backend_.SetFailing("tok-acme", ErrorName::kInvalidCiphertext);  // the tag did not verify
  HttpResponse r = Decrypt(json::parse(sealed.body));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorNameOf(r), "InvalidCiphertextException");
  EXPECT_EQ(backend_.TakeReached(), std::vector<std::string>{"tok-acme"});
}

TEST_F(XksServiceFleetTest, NoRetryOnceTheBudgetIsSpent) {
  backend_.SetFailing("tok-acme", ErrorName::kDependencyTimeout);
  backend_.on_failure = [this] { clock_.Advance(std::chrono::seconds(1)); };
  HttpResponse r = Encrypt();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(backend_.TakeReached(), std::vector<std::string>{"tok-acme"});
}

TEST_F(XksServiceFleetTest, AOneTokenTenantIsNeverRetried) {
  backend_.SetFailing("tok-globex", ErrorName::kInternal);
  EXPECT_EQ(Encrypt("globex").status, 500);
  EXPECT_EQ(backend_.TakeReached(), std::vector<std::string>{"tok-globex"});
}

TEST_F(XksServiceFleetTest, HealthListsEveryMemberWithItsOwnStatus) {
  SetHealthy("tok-acme-b", false);
  HttpResponse r = Call("acme", "health", {{"requestMetadata", Metadata("KmsHealthCheck")}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json details = json::parse(r.body)["ekmFleetDetails"];
  ASSERT_EQ(details.size(), 2u) << r.body;
  EXPECT_EQ(details[0]["id"], "tok-acme");
  EXPECT_EQ(details[0]["healthStatus"], "ACTIVE");
  EXPECT_EQ(details[1]["id"], "tok-acme-b");
  EXPECT_EQ(details[1]["healthStatus"], "UNAVAILABLE");
  EXPECT_NE(details[1]["model"].get<std::string>().find("tok-acme-b"), std::string::npos);
  // Another tenant's health lists only its own token.
  HttpResponse other = Call("globex", "health", {{"requestMetadata", Metadata("KmsHealthCheck")}});
  EXPECT_EQ(json::parse(other.body)["ekmFleetDetails"].size(), 1u);
}

// ---- Answers on time while the HSM does not (a hung token) ----

TEST_F(XksServiceFleetTest, WorkStillWithTheHsmAtItsDeadlineIsAnswered503AndItsLateResultDropped) {
  backend_.Hold();
  HttpRequest r;
  r.method = "POST";
  r.target = "/acme/kms/xks/v1/keys/k1/encrypt";
  r.body = EncryptBody().dump();
  r.headers = {{"Host", "xks.example.com"},
               {"Content-Type", "application/json"},
               {"X-Test-Tenant", "acme"},
               {"X-Test-Access-Key", kAcmeAccessKey}};
  std::vector<HttpResponse> answers;
  std::mutex answers_mu;
  service_->HandleAsync(r, [&](HttpResponse response) {
    std::lock_guard l(answers_mu);
    answers.push_back(std::move(response));
  });
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 0u);  // not yet due
  clock_.Advance(std::chrono::milliseconds(214));         // budget 200 ms + grace 15 ms, less 1
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 0u);
  EXPECT_TRUE(answers.empty());
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 1u);
  {
    std::lock_guard l(answers_mu);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 503) << answers[0].body;
    EXPECT_EQ(ErrorNameOf(answers[0]), "DependencyTimeoutException");
  }
  const audit::AuditEvent timed_out = audit_.events().back();
  EXPECT_EQ(timed_out.result, "DependencyTimeoutException");
  EXPECT_EQ(timed_out.tenant, "acme");
  EXPECT_EQ(timed_out.external_key_id, "k1");
  const std::size_t records = audit_.events().size();

  backend_.Release();  // the HSM answers at last: nobody waits for it any more
  EXPECT_EQ(answers.size(), 1u);
  EXPECT_EQ(audit_.events().size(), records);  // one request, one record
  bool logged = false;
  for (const std::string& line : logger_.lines()) {
    logged = logged || line.find("late HSM result dropped") != std::string::npos;
  }
  EXPECT_TRUE(logged);
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 0u);
}

TEST_F(XksServiceFleetTest, AnswersAtTheDeadlineCountAgainstTheMembersHealth) {
  backend_.Hold();  // globex's one token hangs
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/kms/xks/v1/keys/k1/encrypt";
    r.body = EncryptBody().dump();
    r.headers = {{"Host", "xks.example.com"},
                 {"Content-Type", "application/json"},
                 {"X-Test-Tenant", "globex"},
                 {"X-Test-Access-Key", kGlobexAccessKey}};
    service_->HandleAsync(r, [&](HttpResponse) { ++answered; });
  }
  ASSERT_EQ(health_->Status("tok-globex"), HealthStatus::kActive);
  clock_.Advance(std::chrono::milliseconds(215));
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 3u);
  EXPECT_EQ(answered.load(), 3);
  // Three HSM-side failures in a row: the hang shows in health within the budget, although the
  // calls themselves have not returned.
  EXPECT_EQ(health_->Status("tok-globex"), HealthStatus::kUnavailable);
  EXPECT_EQ(health_->Status("tok-acme"), HealthStatus::kActive);
  backend_.Release();
}

TEST_F(XksServiceFleetTest, AnAnswerInTimeLeavesNothingForTheDeadline) {
  ASSERT_EQ(Encrypt().status, 200);
  const std::size_t records = audit_.events().size();
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(service_->AnswerRequestsPastDeadline(), 0u);
  EXPECT_EQ(audit_.events().size(), records);
}

}  // namespace
}  // namespace xks::api
