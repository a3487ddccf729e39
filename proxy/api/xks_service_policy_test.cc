// XksService with a tenant policy (tenants[].policy, issue 15): a denied key operation is 403
// AccessDeniedException without reaching the HSM, and its audit record and log line name the
// deciding statement; allowed requests record the allowing statement; health is never subject to
// policy; report mode decides and records but never denies; a reload brings its policy.

#include <gtest/gtest.h>

#include "base/base64.h"
#include "proxy/api/testing/fakes.h"
#include "proxy/api/xks_service.h"

namespace xks::api {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: test fakes

constexpr Key32 kPolicyKey = {5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                              1, 1, 2, 3, 5, 8, 1, 3, 2, 1, 3, 4, 5, 5, 8, 9};

// S3 may not decrypt; account 123456789012 may use k1 and the shared* keys.
json AcmePolicy(const std::string& mode) {
  return {{"mode", mode},
          {"statements",
           {{{"id", "deny-s3-decrypt"},
             {"effect", "deny"},
             {"operations", {"decrypt"}},
             {"conditions", {{"kmsViaService", {"s3"}}}}},
            {{"id", "acct-allow"},
             {"effect", "allow"},
             {"keys", {"k1", "shared*"}},
             {"conditions", {{"kmsKeyArn", {"arn:aws:kms:*:123456789012:*"}}}}}}}};
}

json PolicyTestMetadata(const char* op, std::optional<std::string> via_service = std::nullopt) {
  json md = {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
             {"kmsKeyArn", "arn:aws:kms:us-east-2:123456789012:/key/1234abcd"},
             {"kmsOperation", op},
             {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"}};
  if (via_service) md["kmsViaService"] = *via_service;
  return md;
}

class XksServicePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = StandardConfigJson(dir_);
    doc_["tenants"][0]["policy"] = AcmePolicy("enforce");
    registry_ = BuildRegistry(doc_, dir_.path());
    backend_.AddKey("tok-acme", "acme-k1", kPolicyKey);
    backend_.AddKey("tok-acme", "acme-k2-v2", kPolicyKey);
    backend_.AddKey("tok-globex", "globex-k1", kPolicyKey);
    health_ = std::make_unique<HealthMonitor>(backend_, HealthMonitorOptions{}, clock_.AsFunction(),
                                              &logger_);
    health_->SetTokens(registry_->TenantTokenIds());
    XksServiceOptions options;
    options.clock = clock_.AsFunction();
    options.logger = &logger_;
    service_ = std::make_unique<XksService>(
        [this] {
          std::lock_guard<std::mutex> l(mu_);
          return registry_;
        },
        backend_, auth_, audit_, *health_, options);
  }

  void ReconfigureAcmePolicy(std::optional<json> policy) {
    json doc = doc_;
    if (policy) {
      doc["tenants"][0]["policy"] = *policy;
    } else {
      doc["tenants"][0].erase("policy");
    }
    auto next = BuildRegistry(doc, dir_.path());
    std::lock_guard<std::mutex> l(mu_);
    registry_ = next;
  }

  HttpResponse Call(const std::string& tenant, const std::string& op, const std::string& key,
                    const json& body) {
    const std::string prefix = tenant == "acme" ? "/acme" : "";
    const std::string path =
        key.empty() ? prefix + "/kms/xks/v1/" + op : prefix + "/kms/xks/v1/keys/" + key + "/" + op;
    HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.body = body.dump();
    r.headers = {{"Host", "xks.example.com"},
                 {"Content-Type", "application/json"},
                 {"X-Test-Tenant", tenant},
                 {"X-Test-Access-Key", tenant == "acme" ? kAcmeAccessKey : kGlobexAccessKey}};
    r.connection.peer_address = "192.0.2.7:5555";
    return service_->Handle(r);
  }
  HttpResponse Encrypt(const std::string& tenant, const std::string& key,
                       std::optional<std::string> via_service = std::nullopt) {
    const std::string plaintext = "policy test";
    return Call(
        tenant, "encrypt", key,
        {{"requestMetadata", PolicyTestMetadata("Encrypt", via_service)},
         {"plaintext", Base64Encode({reinterpret_cast<const std::uint8_t*>(plaintext.data()),
                                     plaintext.size()})},
         {"encryptionAlgorithm", "AES_GCM"}});
  }
  HttpResponse Decrypt(const std::string& key, const json& encrypted,
                       std::optional<std::string> via_service) {
    return Call("acme", "decrypt", key,
                {{"requestMetadata", PolicyTestMetadata("Decrypt", via_service)},
                 {"ciphertext", encrypted["ciphertext"]},
                 {"ciphertextMetadata", encrypted["ciphertextMetadata"]},
                 {"initializationVector", encrypted["initializationVector"]},
                 {"authenticationTag", encrypted["authenticationTag"]},
                 {"encryptionAlgorithm", "AES_GCM"}});
  }
  audit::AuditEvent LastEvent() {
    auto events = audit_.events();
    EXPECT_FALSE(events.empty());
    return events.empty() ? audit::AuditEvent{} : events.back();
  }
  std::string LastLine() {
    auto lines = logger_.lines();
    return lines.empty() ? std::string() : lines.back();
  }
  static std::string ErrorNameOf(const HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("errorName") ? j["errorName"].get<std::string>() : r.body;
  }

  TempDir dir_;
  json doc_;
  std::mutex mu_;
  std::shared_ptr<const tenant::TenantRegistry> registry_;
  FakeKeyBackend backend_;
  FakeAuthenticator auth_;
  RecordingAuditSink audit_;
  RecordingLogger logger_;
  ManualClock clock_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<XksService> service_;
};

TEST_F(XksServicePolicyTest, AllowedRequestsRecordTheAllowingStatement) {
  HttpResponse r = Encrypt("acme", "k1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LastEvent().policy_statement, "acct-allow");
  EXPECT_EQ(LastEvent().result, "OK");
  EXPECT_NE(LastLine().find(" policy=acct-allow "), std::string::npos) << LastLine();
  ASSERT_EQ(Decrypt("k1", json::parse(r.body), "ebs").status, 200);
  EXPECT_EQ(LastEvent().policy_statement, "acct-allow");
}

TEST_F(XksServicePolicyTest, AnExplicitDenyIs403AndNeverReachesTheHsm) {
  HttpResponse encrypted = Encrypt("acme", "k1", "s3");
  ASSERT_EQ(encrypted.status, 200) << "the deny is for decrypt only: " << encrypted.body;
  const int decrypts_before = backend_.calls("Decrypt");
  HttpResponse r = Decrypt("k1", json::parse(encrypted.body), "s3");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(ErrorNameOf(r), "AccessDeniedException");
  EXPECT_EQ(backend_.calls("Decrypt"), decrypts_before);
  const audit::AuditEvent ev = LastEvent();
  EXPECT_EQ(ev.policy_statement, "deny-s3-decrypt");
  EXPECT_EQ(ev.result, "AccessDeniedException");
  EXPECT_EQ(ev.http_status, 403);
  EXPECT_EQ(ev.operation, "Decrypt");
  EXPECT_NE(LastLine().find(" status=403 result=AccessDeniedException policy=deny-s3-decrypt "),
            std::string::npos)
      << LastLine();
  EXPECT_EQ(r.body.find("deny-s3-decrypt"), std::string::npos)
      << "the statement is the operator's, not the client's";
}

TEST_F(XksServicePolicyTest, NoMatchingAllowIsADefaultDeny) {
  const int encrypts_before = backend_.calls("Encrypt");
  HttpResponse r = Encrypt("acme", "k2");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(ErrorNameOf(r), "AccessDeniedException");
  EXPECT_EQ(backend_.calls("Encrypt"), encrypts_before);
  EXPECT_EQ(LastEvent().policy_statement, "default deny");
  EXPECT_NE(LastLine().find(" policy=default%20deny "), std::string::npos) << LastLine();
  // GetKeyMetadata is decided too, and a condition on a field the request lacks never matches.
  json md = PolicyTestMetadata("DescribeKey");
  md.erase("kmsKeyArn");
  EXPECT_EQ(Call("acme", "metadata", "k1", {{"requestMetadata", md}}).status, 403);
  EXPECT_EQ(LastEvent().policy_statement, "default deny");
  EXPECT_EQ(
      Call("acme", "metadata", "k1", {{"requestMetadata", PolicyTestMetadata("Describe")}}).status,
      200);
}

TEST_F(XksServicePolicyTest, HealthIsNeverSubjectToPolicy) {
  ReconfigureAcmePolicy(json{{"statements", {{{"id", "deny-all"}, {"effect", "deny"}}}}});
  EXPECT_EQ(Encrypt("acme", "k1").status, 403);
  EXPECT_EQ(LastEvent().policy_statement, "deny-all");
  health_->CheckNow();
  HttpResponse r =
      Call("acme", "health", "",
           {{"requestMetadata", {{"kmsRequestId", "x"}, {"kmsOperation", "KmsHealthCheck"}}}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LastEvent().policy_statement, "");
  EXPECT_EQ(LastLine().find("policy="), std::string::npos) << LastLine();
}

TEST_F(XksServicePolicyTest, ReportModeRecordsWhatWouldBeDeniedAndAllowsIt) {
  ReconfigureAcmePolicy(AcmePolicy("report"));
  HttpResponse encrypted = Encrypt("acme", "k1");
  ASSERT_EQ(encrypted.status, 200) << encrypted.body;
  EXPECT_EQ(LastEvent().policy_statement, "acct-allow");
  HttpResponse r = Decrypt("k1", json::parse(encrypted.body), "s3");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LastEvent().policy_statement, "report: deny-s3-decrypt");
  EXPECT_EQ(LastEvent().result, "OK");
  EXPECT_EQ(Encrypt("acme", "k2").status, 200);
  EXPECT_EQ(LastEvent().policy_statement, "report: default deny");
}

TEST_F(XksServicePolicyTest, ReloadsBringTheirPolicyAndATenantWithoutOneIsUnaffected) {
  EXPECT_EQ(Encrypt("acme", "k2").status, 403);
  ReconfigureAcmePolicy(std::nullopt);
  EXPECT_EQ(Encrypt("acme", "k2").status, 200);
  EXPECT_EQ(LastEvent().policy_statement, "") << "no policy, nothing decided it";
  ReconfigureAcmePolicy(AcmePolicy("enforce"));
  EXPECT_EQ(Encrypt("acme", "k2").status, 403);
  EXPECT_EQ(Encrypt("globex", "k1").status, 200) << "globex has no policy";
  EXPECT_EQ(LastEvent().policy_statement, "");
}

}  // namespace
}  // namespace xks::api
