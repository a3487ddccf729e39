// Cross-module tests of proxy/tenant + proxy/api: a configuration file loaded by RegistryHolder
// drives XksService (fake HSM backend and authenticator, recording audit sink and logger).

#include <gtest/gtest.h>

#include "base/base64.h"
#include "proxy/api/testing/fakes.h"
#include "proxy/api/xks_service.h"
#include "proxy/tenant/registry_holder.h"

namespace xks {
namespace {

using api::testing::FakeAuthenticator;
using api::testing::FakeKeyBackend;
using api::testing::Key32;
using api::testing::RecordingAuditSink;
using api::testing::RecordingLogger;
using api::testing::TempDir;
using nlohmann::json;

constexpr Key32 kSame = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                         0xcc, 0xdd, 0xee, 0xff, 0x00, 1,    2,    3,    4,    5,    6,
                         7,    8,    9,    10,   11,   12,   13,   14,   15,   16};

std::string B64(std::string_view s) {
  return Base64Encode({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

class ApiIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = api::testing::StandardConfigJson(dir_);
    config_path_ = dir_.WriteFile("xks.json", doc_.dump(2), 0600);
    auto holder = tenant::RegistryHolder::Load(config_path_);
    ASSERT_TRUE(holder.ok()) << FormatProblems(holder.error());
    holder_ = std::move(holder).value();
    // Every key of both tenants holds the same material: isolation must not depend on it.
    for (const char* label : {"acme-k1", "acme-k2-v1", "acme-k2-v2", "acme-shared", "acme-off"}) {
      backend_.AddKey("tok-acme", label, kSame);
    }
    for (const char* label : {"globex-k1", "globex-shared"})
      backend_.AddKey("tok-globex", label, kSame);
    monitor_ = std::make_unique<api::HealthMonitor>(backend_, api::HealthMonitorOptions{},
                                                    api::RealSteadyClock(), &logger_);
    monitor_->SetTokens(holder_->Current()->TenantTokenIds());
    monitor_->CheckNow();
    api::XksServiceOptions options;
    options.logger = &logger_;
    service_ = std::make_unique<api::XksService>([this] { return holder_->Current(); }, backend_,
                                                 auth_, audit_, *monitor_, options);
  }

  HttpResponse Call(const std::string& tenant, const std::string& target, const json& body,
                    const std::string& method = "POST") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body.is_null() ? "" : body.dump();
    r.headers = {{"Content-Type", "application/json"},
                 {"X-Test-Tenant", tenant},
                 {"X-Test-Access-Key", tenant == "acme" ? api::testing::kAcmeAccessKey
                                                        : api::testing::kGlobexAccessKey}};
    r.connection.peer_address = "198.51.100.1:443";
    return service_->Handle(r);
  }

  TempDir dir_;
  json doc_;
  std::string config_path_;
  std::unique_ptr<tenant::RegistryHolder> holder_;
  FakeKeyBackend backend_;
  FakeAuthenticator auth_;
  RecordingAuditSink audit_;
  RecordingLogger logger_;
  std::unique_ptr<api::HealthMonitor> monitor_;
  std::unique_ptr<api::XksService> service_;
};

json Md(const char* op) {
  return {{"awsPrincipalArn", "arn:aws:iam::111122223333:role/Writer"},
          {"kmsKeyArn", "arn:aws:kms:eu-west-1:111122223333:key/abc"},
          {"kmsOperation", op},
          {"kmsRequestId", "req-1"}};
}

TEST_F(ApiIntegrationTest, TenantsAreIsolatedEvenWithIdenticalKeyMaterial) {
  HttpResponse enc = Call("acme", "/acme/kms/xks/v1/keys/shared/encrypt",
                          {{"requestMetadata", Md("Encrypt")},
                           {"plaintext", B64("isolated")},
                           {"encryptionAlgorithm", "AES_GCM"}});
  ASSERT_EQ(enc.status, 200) << enc.body;
  json e = json::parse(enc.body);
  json dec = {{"requestMetadata", Md("Decrypt")},
              {"ciphertext", e["ciphertext"]},
              {"ciphertextMetadata", e["ciphertextMetadata"]},
              {"initializationVector", e["initializationVector"]},
              {"authenticationTag", e["authenticationTag"]},
              {"encryptionAlgorithm", "AES_GCM"}};
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/shared/decrypt", dec).status, 200);
  HttpResponse other = Call("globex", "/kms/xks/v1/keys/shared/decrypt", dec);
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(json::parse(other.body)["errorName"], "InvalidCiphertextException");
  // acme's credentials on globex's path are refused; acme's key ids do not exist for globex.
  EXPECT_EQ(Call("acme", "/kms/xks/v1/keys/shared/decrypt", dec).status, 401);
  EXPECT_EQ(Call("globex", "/kms/xks/v1/keys/k2/decrypt", dec).status, 404);
}

TEST_F(ApiIntegrationTest, ReloadTakesEffectForNewRequestsOnly) {
  const json metadata = {{"requestMetadata", Md("DescribeKey")}};
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/metadata", metadata).status, 200);
  json next = doc_;
  next["tenants"][0]["keys"]["k1"]["disabled"] = true;
  next["tenants"][0]["path_prefix"] = "/acme-v2";
  dir_.WriteFile("xks.json", next.dump(), 0600);
  auto before = holder_->Current();
  ASSERT_TRUE(holder_->Reload().ok());
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/metadata", metadata).status, 404);
  HttpResponse r = Call("acme", "/acme-v2/kms/xks/v1/keys/k1/metadata", metadata);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["keyStatus"], "DISABLED");
  EXPECT_EQ(before->FindByPathPrefix("/acme")->name, "acme") << "old snapshot unchanged";
  // A broken file leaves the running configuration in place.
  dir_.WriteFile("xks.json", "{", 0600);
  EXPECT_FALSE(holder_->Reload().ok());
  EXPECT_EQ(Call("acme", "/acme-v2/kms/xks/v1/keys/k1/metadata", metadata).status, 200);
}

// Known plaintext, AAD, secrets and PIN pass through every path (success and each kind of
// failure); none of them, nor their Base64, may appear in any audit event or log line.
TEST_F(ApiIntegrationTest, NoPayloadOrSecretReachesAuditOrLog) {
  const std::string plaintext = "PLAINTEXT-CANARY-7f3a9c";
  const std::string aad = "AAD-CANARY-51be02";
  const std::vector<std::string> canaries = {plaintext,
                                             aad,
                                             B64(plaintext),
                                             B64(aad),
                                             api::testing::kAcmeSecret,
                                             api::testing::kGlobexSecret,
                                             "1234",
                                             "5678"};

  json enc_body = {{"requestMetadata", Md("GenerateDataKey")},
                   {"plaintext", B64(plaintext)},
                   {"additionalAuthenticatedData", B64(aad)},
                   {"encryptionAlgorithm", "AES_GCM"},
                   {"ciphertextDataIntegrityValueAlgorithm", "SHA_256"}};
  HttpResponse enc = Call("acme", "/acme/kms/xks/v1/keys/k1/encrypt", enc_body);
  ASSERT_EQ(enc.status, 200) << enc.body;
  json e = json::parse(enc.body);
  json dec = {{"requestMetadata", Md("Decrypt")},
              {"ciphertext", e["ciphertext"]},
              {"ciphertextMetadata", e["ciphertextMetadata"]},
              {"initializationVector", e["initializationVector"]},
              {"authenticationTag", e["authenticationTag"]},
              {"additionalAuthenticatedData", B64(aad)},
              {"encryptionAlgorithm", "AES_GCM"}};
  HttpResponse d = Call("acme", "/acme/kms/xks/v1/keys/k1/decrypt", dec);
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(json::parse(d.body)["plaintext"], B64(plaintext));

  json bad_aad = dec;
  bad_aad["additionalAuthenticatedData"] = B64(aad + "x");
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/decrypt", bad_aad).status, 400);
  json bad_alg = enc_body;
  bad_alg["encryptionAlgorithm"] = "AES_CBC";
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/encrypt", bad_alg).status, 400);
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/none/encrypt", enc_body).status, 404);
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/off/encrypt", enc_body).status, 400);
  EXPECT_EQ(Call("globex", "/acme/kms/xks/v1/keys/k1/encrypt", enc_body).status, 401);
  EXPECT_EQ(Call("acme", "/nowhere", enc_body).status, 404);
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/encrypt", enc_body, "GET").status, 405);
  backend_.FailNext("Encrypt", MakeError(ErrorName::kInternal, "hsm down"));
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/encrypt", enc_body).status, 500);
  audit_.set_fail(true);
  EXPECT_EQ(Call("acme", "/acme/kms/xks/v1/keys/k1/decrypt", dec).status, 500);
  audit_.set_fail(false);
  EXPECT_EQ(
      Call("acme", "/acme/kms/xks/v1/health", {{"requestMetadata", Md("KmsHealthCheck")}}).status,
      200);

  const std::string audit_text = audit_.AllText();
  std::string log_text;
  for (const auto& line : logger_.lines()) log_text += line + "\n";
  EXPECT_GE(audit_.events().size(), 10u);
  EXPECT_GE(logger_.lines().size(), 11u);
  for (const std::string& canary : canaries) {
    EXPECT_EQ(audit_text.find(canary), std::string::npos) << "audit leaks " << canary;
    EXPECT_EQ(log_text.find(canary), std::string::npos) << "log leaks " << canary;
  }
  // The requestMetadata (not secret) is what the audit carries instead.
  EXPECT_NE(audit_text.find("arn:aws:iam::111122223333:role/Writer"), std::string::npos);
}

}  // namespace
}  // namespace xks
