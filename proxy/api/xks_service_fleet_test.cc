// XksService on a tenant served by a fleet of two tokens (tenants[].tokens, issue 14): where each
// attempt goes, the one retry on the other member after a member's failure, and GetHealthStatus
// listing every member.

#include <gtest/gtest.h>

#include <set>

#include "base/base64.h"
#include "proxy/api/testing/fakes.h"
#include "proxy/api/xks_service.h"

namespace xks::api {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: test fakes

constexpr Key32 kFleetKey = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3,
                             2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5};

// The fake HSM, with members that fail every Encrypt/Decrypt while listed in `failing`, and a
// record of which member each call reached.
class FleetBackend : public FakeKeyBackend {
 public:
  ProxyResult<SealedData> Encrypt(const KeyLocation& key, std::span<const std::uint8_t> plaintext,
                                  std::span<const std::uint8_t> hsm_aad,
                                  Deadline deadline) override {
    if (auto failure = Attempt(key)) return Fail(std::move(*failure));
    return FakeKeyBackend::Encrypt(key, plaintext, hsm_aad, deadline);
  }
  ProxyResult<SecretBytes> Decrypt(const KeyLocation& key, std::span<const std::uint8_t> iv,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> hsm_aad,
                                   Deadline deadline) override {
    if (auto failure = Attempt(key)) return Fail(std::move(*failure));
    return FakeKeyBackend::Decrypt(key, iv, ciphertext, tag, hsm_aad, deadline);
  }
  void SetFailing(const std::string& token, ErrorName name) {
    std::lock_guard l(fleet_mu_);
    failing_[token] = name;
  }
  void ClearFailing() {
    std::lock_guard l(fleet_mu_);
    failing_.clear();
  }
  std::vector<std::string> TakeReached() {
    std::lock_guard l(fleet_mu_);
    return std::exchange(reached_, {});
  }
  std::function<void()> on_failure;  ///< runs after each injected failure (e.g. a clock step)

  /// While holding, scheduled work waits here instead of running (a hung or backed-up token).
  void Schedule(std::string_view token_id, Deadline deadline, HsmWork work) override {
    {
      std::lock_guard l(fleet_mu_);
      if (holding_) {
        held_.push_back(std::move(work));
        return;
      }
    }
    FakeKeyBackend::Schedule(token_id, deadline, std::move(work));
  }
  void Hold() {
    std::lock_guard l(fleet_mu_);
    holding_ = true;
  }
  /// Runs the held work now (the HSM answers at last).
  void Release() {
    std::vector<HsmWork> held;
    {
      std::lock_guard l(fleet_mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (HsmWork& work : held) work(ProxyResult<void>{});
  }

 private:
  std::optional<Error> Attempt(const KeyLocation& key) {
    std::optional<ErrorName> name;
    {
      std::lock_guard l(fleet_mu_);
      reached_.push_back(key.token_id);
      if (auto it = failing_.find(key.token_id); it != failing_.end()) name = it->second;
    }
    if (!name) return std::nullopt;
    if (on_failure) on_failure();
    return MakeError(*name, "injected", "injected failure on " + key.token_id);
  }
  std::mutex fleet_mu_;
  std::map<std::string, ErrorName> failing_;
  std::vector<std::string> reached_;
  bool holding_ = false;
  std::vector<HsmWork> held_;
};

class XksServiceFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json doc = StandardConfigJson(dir_);
    doc["hsm"]["tokens"].push_back({{"id", "tok-acme-b"},
                                    {"module", "soft"},
                                    {"token", "acme-b"},
                                    {"pin", {{"file", "acme.pin"}}},
                                    {"health_check_key", "hc"}});
    doc["tenants"][0].erase("token");
    doc["tenants"][0]["tokens"] = {"tok-acme", "tok-acme-b"};
    registry_ = BuildRegistry(doc, dir_.path());
    for (const char* token : {"tok-acme", "tok-acme-b"})
      backend_.AddKey(token, "acme-k1", kFleetKey);
    backend_.AddKey("tok-globex", "globex-k1", kFleetKey);
    health_ =
        std::make_unique<HealthMonitor>(backend_, HealthMonitorOptions{}, clock_.AsFunction());
    health_->SetTokens(registry_->TenantTokenIds());
    health_->CheckNow();
    XksServiceOptions options;
    options.clock = clock_.AsFunction();
    options.logger = &logger_;
    options.watch_deadlines_in_background = false;  // AnswerRequestsPastDeadline, by hand
    service_ = std::make_unique<XksService>([this] { return registry_; }, backend_, auth_, audit_,
                                            *health_, options);
  }

  HttpResponse Call(const std::string& tenant, const std::string& path, const json& body) {
    HttpRequest r;
    r.method = "POST";
    r.target = (tenant == "acme" ? "/acme" : "") + std::string("/kms/xks/v1/") + path;
    r.body = body.dump();
    r.headers = {{"Host", "xks.example.com"},
                 {"Content-Type", "application/json"},
                 {"X-Test-Tenant", tenant},
                 {"X-Test-Access-Key", tenant == "acme" ? kAcmeAccessKey : kGlobexAccessKey}};
    r.connection.peer_address = "192.0.2.7:5555";
    r.connection.tls = true;
    return service_->Handle(r);
  }
  static json Metadata(const char* op) {
    return {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
            {"kmsKeyArn", "arn:aws:kms:us-east-2:123456789012:/key/1234abcd"},
            {"kmsOperation", op},
            {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"}};
  }
  static json EncryptBody() {
    return {{"requestMetadata", Metadata("Encrypt")},
            {"plaintext", Base64Encode(std::vector<std::uint8_t>{1, 2, 3})},
            {"encryptionAlgorithm", "AES_GCM"}};
  }
  HttpResponse Encrypt(const std::string& tenant = "acme") {
    return Call(tenant, "keys/k1/encrypt", EncryptBody());
  }
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
  static std::string ErrorNameOf(const HttpResponse& r) {
    return json::parse(r.body, nullptr, false).value("errorName", "");
  }

  TempDir dir_;
  std::shared_ptr<const tenant::TenantRegistry> registry_;
  FleetBackend backend_;
  FakeAuthenticator auth_;
  RecordingAuditSink audit_;
  RecordingLogger logger_;
  ManualClock clock_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<XksService> service_;
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
