#include "proxy/api/xks_service.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "proxy/api/backend_errors.h"
#include "proxy/api/ciphertext_metadata.h"
#include "proxy/api/hsm_aad.h"
#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: test fakes

constexpr Key32 kKeyA = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                         17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr Key32 kKeyB = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                         8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
constexpr Key32 kShared = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                           7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0x42};

std::string B64(std::string_view s) {
  return Base64Encode({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

json Metadata(const char* op = "Encrypt") {
  return {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
          {"kmsKeyArn", "arn:aws:kms:us-east-2:123456789012:/key/1234abcd"},
          {"kmsOperation", op},
          {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"}};
}

class XksServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = StandardConfigJson(dir_);
    registry_ = BuildRegistry(doc_, dir_.path());
    backend_.AddKey("tok-acme", "acme-k1", kKeyA);
    backend_.AddKey("tok-acme", "acme-k2-v1", kKeyB);
    backend_.AddKey("tok-acme", "acme-k2-v2", kKeyA);
    backend_.AddKey("tok-acme", "acme-shared", kShared);
    backend_.AddKey("tok-acme", "acme-off", kKeyA);
    backend_.AddKey("tok-globex", "globex-k1", kKeyB);
    backend_.AddKey("tok-globex", "globex-shared", kShared);  // identical material on purpose
    health_ = std::make_unique<HealthMonitor>(backend_, HealthMonitorOptions{}, clock_.AsFunction(),
                                              &logger_);
    health_->SetTokens(registry_->TenantTokenIds());
    XksServiceOptions options;
    options.proxy_vendor = "Test Vendor";
    options.proxy_model = "xks-hsm-proxy 9.9";
    options.clock = clock_.AsFunction();
    options.logger = &logger_;
    service_ = std::make_unique<XksService>(
        [this] {
          std::lock_guard<std::mutex> l(mu_);
          return registry_;
        },
        backend_, auth_, audit_, *health_, options);
  }

  void Reconfigure(const std::function<void(json&)>& change) {
    json doc = doc_;
    change(doc);
    auto next = BuildRegistry(doc, dir_.path());
    std::lock_guard<std::mutex> l(mu_);
    registry_ = next;
  }

  static std::string Prefix(const std::string& tenant) { return tenant == "acme" ? "/acme" : ""; }
  static std::string AccessKey(const std::string& tenant) {
    return tenant == "acme" ? kAcmeAccessKey : kGlobexAccessKey;
  }

  HttpRequest Request(const std::string& tenant, const std::string& path, const std::string& body,
                      const std::string& method = "POST") {
    HttpRequest r;
    r.method = method;
    r.target = path;
    r.body = body;
    r.headers = {{"Host", "xks.example.com"},
                 {"Content-Type", "application/json"},
                 {"X-Test-Tenant", tenant},
                 {"X-Test-Access-Key", AccessKey(tenant)}};
    r.connection.peer_address = "192.0.2.7:5555";
    r.connection.tls = true;
    r.connection.client_cert_subject = "CN=cks.kms.us-east-1.amazonaws.com";
    return r;
  }
  HttpResponse Call(const std::string& tenant, const std::string& op, const std::string& key,
                    const json& body) {
    const std::string path = key.empty() ? Prefix(tenant) + "/kms/xks/v1/" + op
                                         : Prefix(tenant) + "/kms/xks/v1/keys/" + key + "/" + op;
    return service_->Handle(Request(tenant, path, body.dump()));
  }
  json EncryptBody(std::string_view plaintext, std::optional<std::string_view> aad = std::nullopt,
                   bool cdiv = false) {
    json b = {{"requestMetadata", Metadata("Encrypt")},
              {"plaintext", B64(plaintext)},
              {"encryptionAlgorithm", "AES_GCM"}};
    if (aad) b["additionalAuthenticatedData"] = B64(*aad);
    if (cdiv) b["ciphertextDataIntegrityValueAlgorithm"] = "SHA_256";
    return b;
  }
  // Turns an encrypt response into the matching decrypt request.
  json DecryptBody(const json& encrypted, std::optional<std::string_view> aad = std::nullopt) {
    json b = {{"requestMetadata", Metadata("Decrypt")},
              {"ciphertext", encrypted["ciphertext"]},
              {"ciphertextMetadata", encrypted["ciphertextMetadata"]},
              {"initializationVector", encrypted["initializationVector"]},
              {"authenticationTag", encrypted["authenticationTag"]},
              {"encryptionAlgorithm", "AES_GCM"}};
    if (aad) b["additionalAuthenticatedData"] = B64(*aad);
    return b;
  }
  json EncryptOk(const std::string& tenant, const std::string& key, std::string_view plaintext,
                 std::optional<std::string_view> aad = std::nullopt) {
    HttpResponse r = Call(tenant, "encrypt", key, EncryptBody(plaintext, aad));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  static std::string ErrorNameOf(const HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("errorName")) return "<no errorName: " + r.body + ">";
    return j["errorName"];
  }
  void ExpectError(const HttpResponse& r, int status, const char* name) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(ErrorNameOf(r), name);
  }
  audit::AuditEvent LastEvent() {
    auto events = audit_.events();
    EXPECT_FALSE(events.empty());
    return events.empty() ? audit::AuditEvent{} : events.back();
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

// ---- GetHealthStatus ----

TEST_F(XksServiceTest, HealthReportsOnlyTheTenantsOwnToken) {
  health_->CheckNow();
  HttpResponse r =
      Call("acme", "health", "",
           {{"requestMetadata", {{"kmsRequestId", "x"}, {"kmsOperation", "KmsHealthCheck"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["xksProxyFleetSize"], 1);
  EXPECT_EQ(j["xksProxyVendor"], "Test Vendor");
  EXPECT_EQ(j["xksProxyModel"], "xks-hsm-proxy 9.9");
  EXPECT_EQ(j["ekmVendor"], "PKCS#11");
  ASSERT_EQ(j["ekmFleetDetails"].size(), 1u);
  EXPECT_EQ(j["ekmFleetDetails"][0]["id"], "tok-acme");
  EXPECT_EQ(j["ekmFleetDetails"][0]["model"], "FakeHSM 1.0 (token 'tok-acme')");
  EXPECT_EQ(j["ekmFleetDetails"][0]["healthStatus"], "ACTIVE");
  EXPECT_EQ(backend_.calls("CheckTokenHealth"), 2) << "answered from the cache";
}

TEST_F(XksServiceTest, HealthStatusFollowsTheMonitor) {
  const json body = {{"requestMetadata", {{"kmsRequestId", "x"}, {"kmsOperation", "Future"}}}};
  auto status = [&](const std::string& tenant) {
    HttpResponse r = Call(tenant, "health", "", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["ekmFleetDetails"][0]["healthStatus"].get<std::string>();
  };
  EXPECT_EQ(status("acme"), "UNAVAILABLE") << "never checked";
  backend_.SetHealth("tok-globex", false);
  health_->CheckNow();
  EXPECT_EQ(status("acme"), "ACTIVE");
  EXPECT_EQ(status("globex"), "UNAVAILABLE") << "failed check";
  audit_.set_healthy(false);
  EXPECT_EQ(status("acme"), "DEGRADED") << "audit sink unhealthy";
  audit_.set_healthy(true);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(status("acme"), "UNAVAILABLE") << "stale";
}

TEST_F(XksServiceTest, HealthRequiresItsTwoMetadataFieldsOnly) {
  ExpectError(Call("acme", "health", "", {{"requestMetadata", {{"kmsRequestId", "x"}}}}), 400,
              "ValidationException");
  ExpectError(Call("acme", "health", "", {{"requestMetadata", {{"kmsOperation", "x"}}}}), 400,
              "ValidationException");
  ExpectError(Call("acme", "health", "", json::object()), 400, "ValidationException");
  EXPECT_EQ(Call("acme", "health", "",
                 {{"requestMetadata",
                   {{"kmsRequestId", "any opaque {} value"},
                    {"kmsOperation", "SomethingNew"},
                    {"unknownField", {1, 2}}}},
                  {"extra", true}})
                .status,
            200);
}

// ---- GetKeyMetadata ----

TEST_F(XksServiceTest, KeyMetadataForAnAes256Key) {
  json body = {{"requestMetadata",
                {{"awsPrincipalArn", "arn:aws:iam::1:user/A"},
                 {"kmsOperation", "CreateKey"},
                 {"kmsRequestId", "r"}}}};  // kmsKeyArn is optional here
  HttpResponse r = Call("acme", "metadata", "k1", body);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["keySpec"], "AES_256");
  EXPECT_EQ(j["keyUsage"], json::array({"ENCRYPT", "DECRYPT"}));
  EXPECT_EQ(j["keyStatus"], "ENABLED");
  EXPECT_EQ(backend_.last_location().token_id, "tok-acme");
  EXPECT_EQ(backend_.last_location().key_label, "acme-k1");
}

TEST_F(XksServiceTest, KeyMetadataReportsEveryUsageAndOtherKeyTypes) {
  KeyAttributes a{"AES", 128, true, true, true, true, true, true, true};
  backend_.SetAttributes("tok-acme", "acme-k1", a);
  json j = json::parse(Call("acme", "metadata", "k1", {{"requestMetadata", Metadata()}}).body);
  EXPECT_EQ(j["keySpec"], "AES_128");
  EXPECT_EQ(j["keyUsage"],
            json::array({"ENCRYPT", "DECRYPT", "SIGN", "VERIFY", "WRAP", "UNWRAP", "DERIVE"}));
  EXPECT_LE(j["keyUsage"].size(), 10u);
}

TEST_F(XksServiceTest, DisabledKeyReportsDisabled) {
  HttpResponse r = Call("acme", "metadata", "off", {{"requestMetadata", Metadata()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["keyStatus"], "DISABLED");
}

TEST_F(XksServiceTest, KeyMetadataRequiresPrincipalOperationAndRequestId) {
  for (const char* field : {"awsPrincipalArn", "kmsOperation", "kmsRequestId"}) {
    json md = Metadata();
    md.erase(field);
    HttpResponse r = Call("acme", "metadata", "k1", {{"requestMetadata", md}});
    ExpectError(r, 400, "ValidationException");
    EXPECT_NE(json::parse(r.body)["errorMessage"].get<std::string>().find(field),
              std::string::npos);
  }
}

// ---- Encrypt / Decrypt ----

TEST_F(XksServiceTest, EncryptThenDecryptRoundTrips) {
  json enc = EncryptOk("acme", "k1", "Hello World!", "project=nile,department=marketing");
  EXPECT_EQ(Base64Decode(enc["ciphertext"].get<std::string>())->size(), 12u);
  EXPECT_EQ(Base64Decode(enc["initializationVector"].get<std::string>())->size(), 12u);
  EXPECT_EQ(Base64Decode(enc["authenticationTag"].get<std::string>())->size(), 16u);
  EXPECT_FALSE(enc.contains("ciphertextDataIntegrityValue"));
  auto md = DecodeCiphertextMetadata(*Base64Decode(enc["ciphertextMetadata"].get<std::string>()));
  ASSERT_TRUE(md.has_value());
  EXPECT_EQ(md->key_version, 1);
  EXPECT_EQ(md->tenant_binding, ComputeTenantBinding("acme"));

  HttpResponse r =
      Call("acme", "decrypt", "k1", DecryptBody(enc, "project=nile,department=marketing"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["plaintext"], B64("Hello World!"));
}

TEST_F(XksServiceTest, EncryptWithoutAadRoundTrips) {
  json enc = EncryptOk("globex", "k1", "data key bytes");
  HttpResponse r = Call("globex", "decrypt", "k1", DecryptBody(enc));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["plaintext"], B64("data key bytes"));
}

TEST_F(XksServiceTest, HsmAadIsLengthPrefixedAadAndMetadata) {
  json enc = EncryptOk("acme", "k1", "pt", "project=nile,department=marketing");
  const auto md = *Base64Decode(enc["ciphertextMetadata"].get<std::string>());
  std::vector<std::uint8_t> expected = {0x00, 33};
  const std::string aad = "project=nile,department=marketing";
  expected.insert(expected.end(), aad.begin(), aad.end());
  expected.push_back(static_cast<std::uint8_t>(md.size()));
  expected.insert(expected.end(), md.begin(), md.end());
  EXPECT_EQ(backend_.last_hsm_aad(), expected);
}

TEST_F(XksServiceTest, CdivIsReturnedAndVerifiedByDecrypt) {
  HttpResponse r = Call("acme", "encrypt", "k1", EncryptBody("secret dk", "ctx", true));
  ASSERT_EQ(r.status, 200) << r.body;
  json enc = json::parse(r.body);
  const auto expected = ComputeCdivSha256(
      *Base64Decode(B64("ctx")), *Base64Decode(enc["ciphertextMetadata"].get<std::string>()),
      *Base64Decode(enc["initializationVector"].get<std::string>()),
      *Base64Decode(enc["ciphertext"].get<std::string>()),
      *Base64Decode(enc["authenticationTag"].get<std::string>()));
  EXPECT_EQ(enc["ciphertextDataIntegrityValue"], expected);
  EXPECT_EQ(backend_.calls("Decrypt"), 1) << "verifying decrypt";
}

TEST_F(XksServiceTest, CorruptedEncryptOutputIsCaughtWhenCdivRequested) {
  backend_.CorruptNextEncrypt();
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("dk", std::nullopt, true)), 500,
              "InternalException");
  // Default policy: without CDIV no verifying decrypt is made.
  backend_.CorruptNextEncrypt();
  EXPECT_EQ(Call("acme", "encrypt", "k1", EncryptBody("dk")).status, 200);
  EXPECT_EQ(backend_.calls("Decrypt"), 1);
}

TEST_F(XksServiceTest, VerifyEncryptPolicyIsConfigurable) {
  Reconfigure([](json& d) { d["api"]["verify_encrypt"] = "always"; });
  backend_.CorruptNextEncrypt();
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("dk")), 500, "InternalException");
  Reconfigure([](json& d) { d["api"]["verify_encrypt"] = "never"; });
  backend_.CorruptNextEncrypt();
  HttpResponse r = Call("acme", "encrypt", "k1", EncryptBody("dk", std::nullopt, true));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body).contains("ciphertextDataIntegrityValue"));
}

TEST_F(XksServiceTest, VerifyingDecryptTimeoutIsDependencyTimeout) {
  backend_.FailNext("Decrypt", MakeError(ErrorName::kDependencyTimeout, "slow"));
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("dk", std::nullopt, true)), 503,
              "DependencyTimeoutException");
}

TEST_F(XksServiceTest, EveryTamperIsInvalidCiphertext) {
  const std::string aad = "aad-value";
  json enc = EncryptOk("acme", "k1", "sixteen byte dk!", aad);
  auto flip = [](const json& v, std::size_t i) {
    auto bytes = *Base64Decode(v.get<std::string>());
    bytes[i % bytes.size()] ^= 0x01;
    return Base64Encode(bytes);
  };
  auto expect_invalid = [&](json body, const char* what) {
    HttpResponse r = Call("acme", "decrypt", "k1", body);
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(ErrorNameOf(r), "InvalidCiphertextException") << what;
  };
  json b = DecryptBody(enc, aad);
  b["ciphertext"] = flip(enc["ciphertext"], 3);
  expect_invalid(b, "ciphertext");
  b = DecryptBody(enc, aad);
  b["initializationVector"] = flip(enc["initializationVector"], 0);
  expect_invalid(b, "iv");
  b = DecryptBody(enc, aad);
  b["authenticationTag"] = flip(enc["authenticationTag"], 15);
  expect_invalid(b, "tag");
  expect_invalid(DecryptBody(enc, "other aad"), "aad changed");
  expect_invalid(DecryptBody(enc), "aad dropped");
  b = DecryptBody(enc, aad);
  b.erase("ciphertextMetadata");
  expect_invalid(b, "metadata dropped");
  for (std::size_t i : {0, 1, 2, 3, 10}) {
    b = DecryptBody(enc, aad);
    b["ciphertextMetadata"] = flip(enc["ciphertextMetadata"], i);
    expect_invalid(b, "metadata byte flipped");
  }
  b = DecryptBody(enc, aad);
  auto md = *Base64Decode(enc["ciphertextMetadata"].get<std::string>());
  md.pop_back();
  b["ciphertextMetadata"] = Base64Encode(md);
  expect_invalid(b, "metadata truncated");
  b = DecryptBody(enc, aad);
  b["initializationVector"] = Base64Encode(std::vector<std::uint8_t>(16, 1));
  expect_invalid(b, "16-byte IV of the wrong value");
  EXPECT_EQ(Call("acme", "decrypt", "k1", DecryptBody(enc, aad)).status, 200) << "original";
}

TEST_F(XksServiceTest, MetadataMovedIntoAadDoesNotDecrypt) {
  // The spec's warning case: encrypt without AAD, then present the metadata as AAD instead.
  json enc = EncryptOk("acme", "k1", "pt");
  json b = DecryptBody(enc);
  b["additionalAuthenticatedData"] = enc["ciphertextMetadata"];
  b.erase("ciphertextMetadata");
  ExpectError(Call("acme", "decrypt", "k1", b), 400, "InvalidCiphertextException");
}

TEST_F(XksServiceTest, RotatedKeyEncryptsWithNewestAndDecryptsOldVersions) {
  json enc = EncryptOk("acme", "k2", "new");
  EXPECT_EQ(backend_.last_location().key_label, "acme-k2-v2");
  EXPECT_EQ(DecodeCiphertextMetadata(*Base64Decode(enc["ciphertextMetadata"].get<std::string>()))
                ->key_version,
            2);
  // Ciphertext made earlier with version 1 decrypts with the v1 key while v1 is not retired.
  const auto md = EncodeCiphertextMetadata({1, ComputeTenantBinding("acme")});
  const std::string pt = "old data key";
  SecretBytes hsm_aad = BuildHsmAad({}, md);
  auto sealed = backend_.Encrypt({"tok-acme", "acme-k2-v1"},
                                 {reinterpret_cast<const std::uint8_t*>(pt.data()), pt.size()},
                                 hsm_aad.span(), {});
  ASSERT_TRUE(sealed.ok());
  json b = {{"requestMetadata", Metadata("Decrypt")},
            {"ciphertext", Base64Encode(sealed->ciphertext)},
            {"ciphertextMetadata", Base64Encode(md)},
            {"initializationVector", Base64Encode(sealed->iv)},
            {"authenticationTag", Base64Encode(sealed->tag)},
            {"encryptionAlgorithm", "AES_GCM"}};
  Reconfigure([](json& doc) { doc["tenants"][0]["keys"]["k2"]["versions"][0]["retired"] = false; });
  HttpResponse r = Call("acme", "decrypt", "k2", b);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["plaintext"], B64(pt));
  EXPECT_EQ(backend_.last_location().key_label, "acme-k2-v1");
  // Retiring v1 makes it unusable (xksctl key retire-version): its ciphertext no longer decrypts,
  // while v2's still does.
  Reconfigure([](json& doc) { doc["tenants"][0]["keys"]["k2"]["versions"][0]["retired"] = true; });
  ExpectError(Call("acme", "decrypt", "k2", b), 400, "InvalidStateException");
  EXPECT_EQ(Call("acme", "decrypt", "k2", DecryptBody(enc)).status, 200);
  // A version the key does not have is invalid ciphertext.
  b["ciphertextMetadata"] =
      Base64Encode(EncodeCiphertextMetadata({9, ComputeTenantBinding("acme")}));
  ExpectError(Call("acme", "decrypt", "k2", b), 400, "InvalidCiphertextException");
}

// ---- Tenant isolation ----

TEST_F(XksServiceTest, SameKeyIdMapsToEachTenantsOwnKey) {
  EncryptOk("acme", "k1", "a");
  EXPECT_EQ(backend_.last_location().token_id, "tok-acme");
  EXPECT_EQ(backend_.last_location().key_label, "acme-k1");
  EncryptOk("globex", "k1", "b");
  EXPECT_EQ(backend_.last_location().token_id, "tok-globex");
  EXPECT_EQ(backend_.last_location().key_label, "globex-k1");
}

TEST_F(XksServiceTest, CiphertextOfOneTenantIsRefusedByAnotherWithIdenticalKeyMaterial) {
  json enc = EncryptOk("acme", "shared", "cross-tenant dk", "ctx");
  const int decrypts_before = backend_.calls("Decrypt");
  ExpectError(Call("globex", "decrypt", "shared", DecryptBody(enc, "ctx")), 400,
              "InvalidCiphertextException");
  EXPECT_EQ(backend_.calls("Decrypt"), decrypts_before) << "refused before reaching the HSM";
  // Rewriting the binding to globex's makes the metadata match but the tag no longer verifies.
  json b = DecryptBody(enc, "ctx");
  auto md = DecodeCiphertextMetadata(*Base64Decode(enc["ciphertextMetadata"].get<std::string>()));
  md->tenant_binding = ComputeTenantBinding("globex");
  b["ciphertextMetadata"] = Base64Encode(EncodeCiphertextMetadata(*md));
  ExpectError(Call("globex", "decrypt", "shared", b), 400, "InvalidCiphertextException");
  EXPECT_EQ(backend_.calls("Decrypt"), decrypts_before + 1);
  EXPECT_EQ(backend_.last_location().token_id, "tok-globex");
  // And the owner still decrypts it.
  EXPECT_EQ(Call("acme", "decrypt", "shared", DecryptBody(enc, "ctx")).status, 200);
}

TEST_F(XksServiceTest, KeysOfAnotherTenantAreNotFound) {
  ExpectError(Call("globex", "encrypt", "k2", EncryptBody("x")), 404, "KeyNotFoundException");
  ExpectError(Call("globex", "metadata", "off", {{"requestMetadata", Metadata()}}), 404,
              "KeyNotFoundException");
  ExpectError(Call("acme", "encrypt", "nope", EncryptBody("x")), 404, "KeyNotFoundException");
}

TEST_F(XksServiceTest, CredentialsOfAnotherTenantDoNotAuthenticate) {
  // The fake accepts anything naming the tenant; the service still checks that the access key id
  // belongs to the tenant the path selected.
  HttpRequest r = Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump());
  r.headers[3].value = kGlobexAccessKey;
  ExpectError(service_->Handle(r), 401, "AuthenticationFailedException");
  // Globex's signature on acme's path fails authentication.
  HttpRequest g = Request("globex", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump());
  ExpectError(service_->Handle(g), 401, "AuthenticationFailedException");
  EXPECT_EQ(backend_.calls("Encrypt"), 0);
}

TEST_F(XksServiceTest, SecondCredentialAuthenticates) {
  HttpRequest r = Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump());
  r.headers[3].value = kAcmeAccessKey2;
  EXPECT_EQ(service_->Handle(r).status, 200);
}

// ---- Key state and usage ----

TEST_F(XksServiceTest, DisabledKeyRefusesEncryptAndDecrypt) {
  ExpectError(Call("acme", "encrypt", "off", EncryptBody("x")), 400, "InvalidStateException");
  json enc = EncryptOk("acme", "k1", "x");
  ExpectError(Call("acme", "decrypt", "off", DecryptBody(enc)), 400, "InvalidStateException");
  EXPECT_EQ(backend_.last_location().key_label, "acme-k1") << "the HSM never saw acme-off";
}

TEST_F(XksServiceTest, DisabledTenantIsInvalidStateForEveryOperation) {
  Reconfigure([](json& d) { d["tenants"][0]["disabled"] = true; });
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("x")), 400, "InvalidStateException");
  ExpectError(Call("acme", "metadata", "k1", {{"requestMetadata", Metadata()}}), 400,
              "InvalidStateException");
  ExpectError(Call("acme", "health", "", {{"requestMetadata", Metadata()}}), 400,
              "InvalidStateException");
  EXPECT_EQ(Call("globex", "encrypt", "k1", EncryptBody("x")).status, 200);
}

TEST_F(XksServiceTest, KeyUsageForbiddingTheOperationIsInvalidKeyUsage) {
  json enc = EncryptOk("acme", "k1", "x");
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"AES", 256, false, true});
  Reconfigure([](json&) {});  // fresh snapshot; the attribute cache is time-based, so advance:
  clock_.Advance(std::chrono::seconds(11));
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("x")), 400, "InvalidKeyUsageException");
  EXPECT_EQ(Call("acme", "decrypt", "k1", DecryptBody(enc)).status, 200);
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"AES", 256, true, false});
  clock_.Advance(std::chrono::seconds(11));
  ExpectError(Call("acme", "decrypt", "k1", DecryptBody(enc)), 400, "InvalidKeyUsageException");
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"GENERIC_SECRET", 256, true, true});
  clock_.Advance(std::chrono::seconds(11));
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("x")), 400, "InvalidKeyUsageException");
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"AES", 128, true, true});
  clock_.Advance(std::chrono::seconds(11));
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("x")), 400, "InvalidKeyUsageException");
}

TEST_F(XksServiceTest, KeyAttributesAreCachedForTheConfiguredTime) {
  EncryptOk("acme", "k1", "a");
  EncryptOk("acme", "k1", "b");
  EXPECT_EQ(backend_.calls("Describe"), 1);
  clock_.Advance(std::chrono::seconds(10));
  EncryptOk("acme", "k1", "c");
  EXPECT_EQ(backend_.calls("Describe"), 2);
}

// ---- Backend errors ----

TEST_F(XksServiceTest, BackendErrorsMapToTheirNamesWithFixedMessages) {
  struct Case {
    const char* call;
    ErrorName name;
    int status;
    const char* expected;
  };
  const Case cases[] = {
      {"Encrypt", ErrorName::kDependencyTimeout, 503, "DependencyTimeoutException"},
      {"Encrypt", ErrorName::kInternal, 500, "InternalException"},
      {"Encrypt", ErrorName::kInvalidCiphertext, 500, "InternalException"},
      {"Encrypt", ErrorName::kInvalidKeyUsage, 400, "InvalidKeyUsageException"},
      {"Describe", ErrorName::kKeyNotFound, 404, "KeyNotFoundException"},
      {"Describe", ErrorName::kDependencyTimeout, 503, "DependencyTimeoutException"},
  };
  for (const Case& c : cases) {
    clock_.Advance(std::chrono::seconds(11));  // expire cached attributes
    backend_.FailNext(c.call, MakeError(c.name, "backend says CKR_SECRET_DETAIL", "CKR_DETAIL"));
    HttpResponse r = Call("acme", "encrypt", "k1", EncryptBody("x"));
    EXPECT_EQ(r.status, c.status) << c.call << " " << c.expected;
    EXPECT_EQ(ErrorNameOf(r), c.expected);
    EXPECT_EQ(r.body.find("CKR_"), std::string::npos) << "backend text never reaches the client";
  }
  backend_.FailNext("Decrypt", MakeError(ErrorName::kInternal, "device removed"));
  json enc = EncryptOk("acme", "k1", "x");
  backend_.FailNext("Decrypt", MakeError(ErrorName::kInternal, "device removed"));
  ExpectError(Call("acme", "decrypt", "k1", DecryptBody(enc)), 500, "InternalException");
}

// ---- Routing, methods, authentication order ----

TEST_F(XksServiceTest, UnknownPathsAreInvalidUriPath) {
  for (const char* path :
       {"/", "/acme", "/acme/kms/xks/v1/keys/k1/rotate", "/other/kms/xks/v1/health",
        "/acme/kms/xks/v1/keys//encrypt", "/acme/kms/xks/v1", "/acme/", "//kms/xks/v1/health",
        "/acme/kms/xks/v1/health/"}) {
    HttpRequest r = Request("acme", path, "{}");
    HttpResponse resp = service_->Handle(r);
    ExpectError(resp, 404, "InvalidUriPathException");
    EXPECT_EQ(LastEvent().result, "InvalidUriPathException") << path;
    EXPECT_EQ(LastEvent().http_status, 404);
  }
}

TEST_F(XksServiceTest, OverlongUriIsInvalidUriPath) {
  const std::string key(128, 'k');
  Reconfigure([&](json& d) { d["tenants"][0]["keys"][key] = {{"label", "acme-k1"}}; });
  std::string path = "/acme/kms/xks/v1/keys/" + key + "/encrypt";
  EXPECT_EQ(service_->Handle(Request("acme", path, EncryptBody("x").dump())).status, 200);
  path += "?" + std::string(256 - path.size(), 'q');
  ASSERT_EQ(path.size(), 257u);
  ExpectError(service_->Handle(Request("acme", path, EncryptBody("x").dump())), 404,
              "InvalidUriPathException");
}

TEST_F(XksServiceTest, OtherMethodsOnOperationPathsAre405) {
  for (const char* method : {"GET", "PUT", "DELETE", "HEAD"}) {
    HttpResponse r =
        service_->Handle(Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", "", method));
    EXPECT_EQ(r.status, 405) << method;
    ASSERT_TRUE(json::parse(r.body, nullptr, false).is_object()) << r.body;
    bool allow = false;
    for (const auto& h : r.headers) allow = allow || (h.name == "Allow" && h.value == "POST");
    EXPECT_TRUE(allow);
    EXPECT_EQ(LastEvent().http_status, 405);
    EXPECT_EQ(LastEvent().operation, "Encrypt");
  }
  EXPECT_EQ(service_->Handle(Request("globex", "/kms/xks/v1/health", "", "GET")).status, 405);
  EXPECT_EQ(service_->Handle(Request("globex", "/nothing", "", "GET")).status, 404);
}

TEST_F(XksServiceTest, AuthenticationComesBeforeValidationAndLookup) {
  HttpRequest r = Request("acme", "/acme/kms/xks/v1/keys/nope/encrypt", "not json");
  r.headers[2].value = "mallory";
  HttpResponse resp = service_->Handle(r);
  ExpectError(resp, 401, "AuthenticationFailedException");
  auto ev = LastEvent();
  EXPECT_EQ(ev.access_key_id, kAcmeAccessKey) << "presented id audited even on failure";
  EXPECT_EQ(ev.tenant, "acme");
  EXPECT_EQ(json::parse(resp.body)["errorMessage"], "The request signature could not be verified.");
  // Validation (400) comes before key lookup (404).
  ExpectError(Call("acme", "encrypt", "nope", {{"requestMetadata", Metadata()}}), 400,
              "ValidationException");
  // Key lookup (404) comes before key state (400).
  ExpectError(Call("acme", "encrypt", "nope", EncryptBody("x")), 404, "KeyNotFoundException");
}

TEST_F(XksServiceTest, InvalidExternalKeyIdIsAnInvalidUriPath) {
  ExpectError(Call("acme", "encrypt", "bad%20id", EncryptBody("x")), 404,
              "InvalidUriPathException");
  ExpectError(Call("acme", "encrypt", std::string(129, 'a'), EncryptBody("x")), 404,
              "InvalidUriPathException");
}

TEST_F(XksServiceTest, DecryptWithAKeyThatMayNotDecryptIsInvalidKeyUsageWhateverTheCiphertext) {
  json enc = EncryptOk("acme", "k1", "x");
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"AES", 256, true, false});
  clock_.Advance(std::chrono::seconds(11));  // past the attribute cache
  // Garbage metadata: usage is judged before the ciphertext is looked at.
  json b = DecryptBody(enc);
  b["ciphertextMetadata"] = "AAAA";
  ExpectError(Call("acme", "decrypt", "k1", b), 400, "InvalidKeyUsageException");
}

// The server alone answers the ping (FramingTest.PingWithAQueryIsAnsweredByTheServerAlone): a
// ping that reaches the service is an unknown path, refused and recorded like any other, so a
// second ping answerer with its own body cannot come back here unnoticed.
TEST_F(XksServiceTest, TheServiceHasNoPingOfItsOwn) {
  for (const char* target : {"/ping", "/ping?probe=1"}) {
    HttpRequest r = Request("acme", target, "", "GET");
    r.headers.clear();
    const HttpResponse response = service_->Handle(r);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_NE(response.body.find("InvalidUriPathException"), std::string::npos) << response.body;
  }
  ASSERT_EQ(audit_.events().size(), 2u);
  EXPECT_EQ(audit_.events()[0].result, "InvalidUriPathException");
}

// ---- Validation ----

TEST_F(XksServiceTest, BodyShapeAndContentType) {
  auto call_raw = [&](const std::string& body, const std::string& content_type) {
    HttpRequest r = Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", body);
    if (content_type.empty()) {
      r.headers.erase(r.headers.begin() + 1);
    } else {
      r.headers[1].value = content_type;
    }
    return service_->Handle(r);
  };
  const std::string good = EncryptBody("x").dump();
  EXPECT_EQ(call_raw(good, "application/json").status, 200);
  EXPECT_EQ(call_raw(good, "Application/JSON; charset=utf-8").status, 200);
  EXPECT_EQ(call_raw(good, "").status, 200) << "absent Content-Type is accepted";
  ExpectError(call_raw(good, "text/plain"), 400, "ValidationException");
  ExpectError(call_raw("", "application/json"), 400, "ValidationException");
  ExpectError(call_raw("[1,2]", "application/json"), 400, "ValidationException");
  ExpectError(call_raw("{\"requestMetadata\":", "application/json"), 400, "ValidationException");
  ExpectError(call_raw(std::string(40, '[') + std::string(40, ']'), "application/json"), 400,
              "ValidationException");
  EXPECT_TRUE(audit_.events().back().request_metadata.empty());
}

TEST_F(XksServiceTest, FieldTypeAndValueErrorsNameTheField) {
  struct Case {
    const char* field;
    json value;  // null: remove
  };
  const Case cases[] = {
      {"plaintext", nullptr},
      {"plaintext", 5},
      {"plaintext", "not base64!"},
      {"plaintext", "SGVsbG8-V29ybGQh"},
      {"plaintext", ""},
      {"encryptionAlgorithm", nullptr},
      {"encryptionAlgorithm", "AES_CBC"},
      {"encryptionAlgorithm", "aes_gcm"},
      {"additionalAuthenticatedData", 1},
      {"additionalAuthenticatedData", "YQ"},
      {"ciphertextDataIntegrityValueAlgorithm", "SHA_512"},
      {"ciphertextDataIntegrityValueAlgorithm", true},
      {"requestMetadata", "string"},
      {"requestMetadata", nullptr},
  };
  for (const Case& c : cases) {
    json body = EncryptBody("x");
    if (c.value.is_null()) {
      body.erase(c.field);
    } else {
      body[c.field] = c.value;
    }
    HttpResponse r = Call("acme", "encrypt", "k1", body);
    EXPECT_EQ(r.status, 400) << c.field << " " << c.value.dump();
    EXPECT_EQ(ErrorNameOf(r), "ValidationException");
    EXPECT_NE(r.body.find(c.field), std::string::npos) << r.body;
  }
  for (const char* field : {"awsPrincipalArn", "kmsKeyArn", "kmsOperation", "kmsRequestId"}) {
    json body = EncryptBody("x");
    body["requestMetadata"].erase(field);
    ExpectError(Call("acme", "encrypt", "k1", body), 400, "ValidationException");
    body = EncryptBody("x");
    body["requestMetadata"][field] = 42;
    ExpectError(Call("acme", "encrypt", "k1", body), 400, "ValidationException");
  }
  json body = EncryptBody("x");
  body["requestMetadata"]["kmsViaService"] = json::array();
  ExpectError(Call("acme", "encrypt", "k1", body), 400, "ValidationException");
}

TEST_F(XksServiceTest, DecryptFieldErrors) {
  json enc = EncryptOk("acme", "k1", "x");
  struct Case {
    const char* field;
    json value;
    const char* name;
  };
  const Case cases[] = {
      {"ciphertext", nullptr, "ValidationException"},
      {"ciphertext", "", "ValidationException"},
      {"initializationVector", nullptr, "ValidationException"},
      {"initializationVector", Base64Encode(std::vector<std::uint8_t>(11)), "ValidationException"},
      {"initializationVector", Base64Encode(std::vector<std::uint8_t>(13)), "ValidationException"},
      {"initializationVector", Base64Encode(std::vector<std::uint8_t>(17)), "ValidationException"},
      {"authenticationTag", nullptr, "ValidationException"},
      {"authenticationTag", Base64Encode(std::vector<std::uint8_t>(15)), "ValidationException"},
      {"authenticationTag", Base64Encode(std::vector<std::uint8_t>(17)), "ValidationException"},
      {"ciphertextMetadata", Base64Encode(std::vector<std::uint8_t>(21)), "ValidationException"},
      {"ciphertextMetadata", Base64Encode(std::vector<std::uint8_t>(20)),
       "InvalidCiphertextException"},
      {"ciphertextMetadata", 7, "ValidationException"},
      {"encryptionAlgorithm", "AES", "ValidationException"},
  };
  for (const Case& c : cases) {
    json body = DecryptBody(enc);
    if (c.value.is_null()) {
      body.erase(c.field);
    } else {
      body[c.field] = c.value;
    }
    HttpResponse r = Call("acme", "decrypt", "k1", body);
    EXPECT_EQ(ErrorNameOf(r), c.name) << c.field << " " << c.value.dump();
  }
}

TEST_F(XksServiceTest, UnknownFieldsAndKmsOperationsAreAccepted) {
  json body = EncryptBody("x");
  body["futureField"] = {{"nested", {1, 2, 3}}};
  body["requestMetadata"]["kmsOperation"] = "BulkEncrypt";
  body["requestMetadata"]["kmsRequestId"] = "not-a-uuid \x7f";
  body["requestMetadata"]["kmsRecipientAttestationPCR0"] = "abc";
  body["requestMetadata"]["awsSourceVpc"] = "vpc-1";
  EXPECT_EQ(Call("acme", "encrypt", "k1", body).status, 200);
  EXPECT_EQ(LastEvent().request_metadata, body["requestMetadata"]) << "audited as received";
}

TEST_F(XksServiceTest, SizeLimitsAtAndBeyond) {
  const std::string pt4300(4300, 'p');
  const std::string aad8192(8192, 'a');
  HttpResponse r = Call("acme", "encrypt", "k1", EncryptBody(pt4300, aad8192, true));
  ASSERT_EQ(r.status, 200);
  json enc = json::parse(r.body);
  EXPECT_EQ(Call("acme", "decrypt", "k1", DecryptBody(enc, aad8192)).status, 200);
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody(pt4300 + "p")), 501,
              "UnsupportedOperationException");
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("x", aad8192 + "a")), 501,
              "UnsupportedOperationException");
  json big = DecryptBody(enc, aad8192);
  big["ciphertext"] = B64(pt4300 + "c");
  ExpectError(Call("acme", "decrypt", "k1", big), 501, "UnsupportedOperationException");
  big = DecryptBody(enc, aad8192 + "a");
  ExpectError(Call("acme", "decrypt", "k1", big), 501, "UnsupportedOperationException");

  json arn = EncryptBody("x");
  arn["requestMetadata"]["awsPrincipalArn"] = std::string(2048, 'r');
  arn["requestMetadata"]["kmsKeyArn"] = std::string(2048, 'k');
  EXPECT_EQ(Call("acme", "encrypt", "k1", arn).status, 200);
  arn["requestMetadata"]["kmsKeyArn"] = std::string(2049, 'k');
  ExpectError(Call("acme", "encrypt", "k1", arn), 501, "UnsupportedOperationException");

  Reconfigure([](json& d) { d["api"]["max_plaintext_bytes"] = 5000; });
  EXPECT_EQ(Call("acme", "encrypt", "k1", EncryptBody(pt4300 + "p")).status, 200);
}

TEST_F(XksServiceTest, ErrorBodiesAreCompactJsonWithPrintableMessages) {
  HttpResponse r = Call("acme", "encrypt", "k1", json::object());
  ASSERT_EQ(r.status, 400);
  bool json_type = false;
  for (const auto& h : r.headers)
    json_type = json_type || (h.name == "Content-Type" && h.value == "application/json");
  EXPECT_TRUE(json_type);
  json j = json::parse(r.body);
  EXPECT_EQ(j.size(), 2u);
  // ordered_json keeps the key order, so this pins "compact" and not nlohmann's sorted order:
  // the one error-body writer (proxy/common/error_body.h) puts errorName first, as the spec does.
  EXPECT_EQ(r.body, nlohmann::ordered_json::parse(r.body).dump()) << "compact";
  const std::string msg = j["errorMessage"];
  EXPECT_LT(msg.size(), 512u);
  for (char c : msg) EXPECT_TRUE(c >= 0x20 && c <= 0x7e);
}

// ---- Audit ----

TEST_F(XksServiceTest, EveryRequestIsAuditedExactlyOnceWithItsDetails) {
  json enc = EncryptOk("acme", "k1", "12345", "ctx");
  ASSERT_EQ(audit_.events().size(), 1u);
  audit::AuditEvent ev = LastEvent();
  EXPECT_EQ(ev.kind, audit::AuditEvent::Kind::kRequest);
  EXPECT_EQ(ev.operation, "Encrypt");
  EXPECT_EQ(ev.tenant, "acme");
  EXPECT_EQ(ev.external_key_id, "k1");
  EXPECT_EQ(ev.key_label, "acme-k1");
  EXPECT_EQ(ev.request_metadata, Metadata("Encrypt"));
  EXPECT_EQ(ev.access_key_id, kAcmeAccessKey);
  EXPECT_EQ(ev.client_address, "192.0.2.7:5555");
  EXPECT_EQ(ev.client_cert_subject, "CN=cks.kms.us-east-1.amazonaws.com");
  EXPECT_EQ(ev.http_method, "POST");
  EXPECT_EQ(ev.http_path, "/acme/kms/xks/v1/keys/k1/encrypt");
  EXPECT_EQ(ev.result, "OK");
  EXPECT_EQ(ev.http_status, 200);
  EXPECT_EQ(ev.plaintext_length, 5u);
  EXPECT_EQ(ev.ciphertext_length, 5u);

  ExpectError(Call("acme", "decrypt", "k1", DecryptBody(enc)), 400, "InvalidCiphertextException");
  ASSERT_EQ(audit_.events().size(), 2u);
  ev = LastEvent();
  EXPECT_EQ(ev.operation, "Decrypt");
  EXPECT_EQ(ev.result, "InvalidCiphertextException");
  EXPECT_EQ(ev.http_status, 400);
  EXPECT_EQ(ev.ciphertext_length, 5u);
  EXPECT_FALSE(ev.plaintext_length.has_value());

  service_->Handle(Request("acme", "/unknown", "{}"));
  ASSERT_EQ(audit_.events().size(), 3u);
  EXPECT_EQ(LastEvent().operation, "Unknown");
  EXPECT_EQ(LastEvent().tenant, "");

  // Time is measured with the injected clock; nothing advanced it, so both latencies are zero.
  EXPECT_EQ(LastEvent().total_latency.count(), 0);
}

TEST_F(XksServiceTest, AuditFailureFailsKeyOperationsClosed) {
  json enc = EncryptOk("acme", "k1", "x");
  audit_.set_fail(true);
  for (const auto& [op, body] : std::vector<std::pair<std::string, json>>{
           {"encrypt", EncryptBody("x")},
           {"decrypt", DecryptBody(enc)},
           {"metadata", json{{"requestMetadata", Metadata()}}}}) {
    HttpResponse r = Call("acme", op, "k1", body);
    ExpectError(r, 500, "InternalException");
    EXPECT_EQ(r.body.find("plaintext"), std::string::npos);
  }
  // Health carries no key material; it answers, and the log says the audit failed.
  HttpResponse h = Call("acme", "health", "", {{"requestMetadata", Metadata()}});
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(logger_.lines().back().find("audit=FAILED"), std::string::npos);
}

XksServiceOptions Options(ManualClock& clock, Logger& logger) {
  XksServiceOptions options;
  options.clock = clock.AsFunction();
  options.logger = &logger;
  return options;
}

// An AuditSink whose AppendAsync completes only when the test says so (the group commit).
class DeferredAuditSink : public audit::AuditSink {
 public:
  ProxyResult<std::uint64_t> Append(const audit::AuditEvent&) override { return 1; }
  void AppendNoWait(audit::AuditEvent) override { ++queued; }
  bool Healthy() const override { return true; }
  void AppendAsync(const audit::AuditEvent&, AppendCallback done) override {
    pending.push_back(std::move(done));
  }
  std::vector<AppendCallback> pending;
  int queued = 0;
};

TEST_F(XksServiceTest, AKeyOperationIsAnsweredByTheFlushThatMakesItsRecordDurable) {
  DeferredAuditSink sink;
  XksService service([this] { return registry_; }, backend_, auth_, sink, *health_,
                     Options(clock_, logger_));
  std::vector<HttpResponse> answers;
  auto respond = [&answers](HttpResponse r) { answers.push_back(std::move(r)); };
  const std::string path = "/acme/kms/xks/v1/keys/k1/encrypt";
  for (int i = 0; i < 3; ++i) {
    service.HandleAsync(Request("acme", path, EncryptBody("x").dump()), respond);
  }
  // HandleAsync returned three times with no answer: each request waits as a pending record.
  ASSERT_EQ(sink.pending.size(), 3u);
  EXPECT_TRUE(answers.empty());
  sink.pending[0](std::uint64_t{7});
  sink.pending[1](Fail(MakeError(ErrorName::kInternal, "audit log unavailable", "disk full")));
  sink.pending[2](Fail(MakeError(ErrorName::kThrottling, "audit log busy", "queue full")));
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].body;
  EXPECT_TRUE(answers[0].authenticated);
  ExpectError(answers[1], 500, "InternalException");  // fail closed: no record, no ciphertext
  EXPECT_EQ(answers[1].body.find("ciphertext"), std::string::npos);
  ExpectError(answers[2], 429, "ThrottlingException");
  EXPECT_NE(logger_.lines().back().find("audit=FAILED"), std::string::npos);
}

// A backend whose token work waits until the test runs it (the token's executor), or is refused
// at once; every HSM call goes to `inner`.
class DeferringBackend : public KeyBackend {
 public:
  explicit DeferringBackend(KeyBackend& inner) : inner_(inner) {}
  void Schedule(std::string_view token_id, Deadline, HsmWork work) override {
    scheduled_for.emplace_back(token_id);
    if (refusal) return work(Fail(*refusal));
    deferred.push_back(std::move(work));
  }
  ProxyResult<KeyAttributes> Describe(const KeyLocation& key, Deadline deadline) override {
    return inner_.Describe(key, deadline);
  }
  ProxyResult<SealedData> Encrypt(const KeyLocation& key, std::span<const std::uint8_t> plaintext,
                                  std::span<const std::uint8_t> hsm_aad,
                                  Deadline deadline) override {
    return inner_.Encrypt(key, plaintext, hsm_aad, deadline);
  }
  ProxyResult<SecretBytes> Decrypt(const KeyLocation& key, std::span<const std::uint8_t> iv,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> hsm_aad,
                                   Deadline deadline) override {
    return inner_.Decrypt(key, iv, ciphertext, tag, hsm_aad, deadline);
  }
  ProxyResult<void> CheckTokenHealth(std::string_view token_id, Deadline deadline) override {
    return inner_.CheckTokenHealth(token_id, deadline);
  }
  std::string TokenModel(std::string_view token_id) override { return inner_.TokenModel(token_id); }

  std::vector<std::string> scheduled_for;
  std::vector<HsmWork> deferred;
  std::optional<Error> refusal;

 private:
  KeyBackend& inner_;
};

TEST_F(XksServiceTest, AKeyOperationRunsWhereItsTenantsTokenIsScheduledNotOnTheCaller) {
  DeferringBackend backend(backend_);
  XksService service([this] { return registry_; }, backend, auth_, audit_, *health_,
                     Options(clock_, logger_));
  std::vector<HttpResponse> answers;
  auto respond = [&answers](HttpResponse r) { answers.push_back(std::move(r)); };
  {
    // The request goes out of scope before its work runs, as the server's copy may.
    HttpRequest request =
        Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump());
    service.HandleAsync(request, respond);
    HttpRequest other = Request("globex", "/kms/xks/v1/keys/k1/metadata",
                                json{{"requestMetadata", Metadata("GetKeyMetadata")}}.dump());
    service.HandleAsync(other, respond);
  }
  EXPECT_EQ(backend_.calls("Encrypt"), 0) << "the HSM was called on the caller's thread";
  EXPECT_TRUE(answers.empty());
  EXPECT_EQ(backend.scheduled_for, (std::vector<std::string>{"tok-acme", "tok-globex"}));
  ASSERT_EQ(backend.deferred.size(), 2u);
  backend.deferred[0](ProxyResult<void>{});
  backend.deferred[1](ProxyResult<void>{});
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].body;
  EXPECT_EQ(answers[1].status, 200) << answers[1].body;
  EXPECT_EQ(backend_.calls("Encrypt"), 1);
  ASSERT_EQ(audit_.events().size(), 2u);
  EXPECT_EQ(audit_.events()[0].operation, "Encrypt");
  EXPECT_EQ(audit_.events()[0].result, "OK");

  // GetHealthStatus never waits on the HSM: answered on the caller.
  const json health = {
      {"requestMetadata", {{"kmsRequestId", "x"}, {"kmsOperation", "KmsHealthCheck"}}}};
  service.HandleAsync(Request("acme", "/acme/kms/xks/v1/health", health.dump()), respond);
  EXPECT_EQ(answers.size(), 3u);
  EXPECT_EQ(backend.scheduled_for.size(), 2u);
}

TEST_F(XksServiceTest, AKeyOperationTheTokenRefusesIsAnsweredAndAuditedWithoutTheHsm) {
  DeferringBackend backend(backend_);
  XksService service([this] { return registry_; }, backend, auth_, audit_, *health_,
                     Options(clock_, logger_));
  const std::string path = "/acme/kms/xks/v1/keys/k1/encrypt";
  backend.refusal = HsmFailure(ErrorName::kThrottling, "token tok-acme: queue full");
  HttpResponse busy = service.Handle(Request("acme", path, EncryptBody("x").dump()));
  ExpectError(busy, 429, "ThrottlingException");
  EXPECT_EQ(LastEvent().result, "ThrottlingException");
  EXPECT_EQ(LastEvent().http_status, 429);
  EXPECT_EQ(LastEvent().access_key_id, kAcmeAccessKey) << "refused after authentication";

  backend.refusal = HsmFailure(ErrorName::kDependencyTimeout, "token tok-acme: calls stuck");
  HttpResponse stuck = service.Handle(Request("acme", path, EncryptBody("x").dump()));
  ExpectError(stuck, 503, "DependencyTimeoutException");
  EXPECT_EQ(LastEvent().result, "DependencyTimeoutException");
  EXPECT_EQ(backend_.calls("Encrypt"), 0);
  EXPECT_EQ(stuck.body.find("stuck"), std::string::npos) << "the detail is for operators only";
  EXPECT_EQ(audit_.events().size(), 2u);
}

TEST_F(XksServiceTest, ARefusalBeforeAuthenticationIsAnsweredWithoutWaitingForTheDisk) {
  DeferredAuditSink sink;
  XksService service([this] { return registry_; }, backend_, auth_, sink, *health_,
                     Options(clock_, logger_));
  std::vector<HttpResponse> answers;
  HttpRequest unsigned_request = Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", "{}");
  unsigned_request.headers.pop_back();  // no X-Test-Access-Key: authentication fails
  unsigned_request.headers.pop_back();
  service.HandleAsync(unsigned_request,
                      [&answers](HttpResponse r) { answers.push_back(std::move(r)); });
  ASSERT_EQ(answers.size(), 1u);
  ExpectError(answers[0], 401, "AuthenticationFailedException");
  EXPECT_TRUE(sink.pending.empty());
  EXPECT_EQ(sink.queued, 1);
}

TEST_F(XksServiceTest, OneInfoLinePerRequest) {
  EncryptOk("acme", "k1", "x");
  ASSERT_EQ(logger_.lines().size(), 1u);
  const std::string line = logger_.lines()[0];
  EXPECT_NE(line.find("INFO"), std::string::npos);
  EXPECT_NE(line.find("tenant=acme"), std::string::npos);
  EXPECT_NE(line.find("op=Encrypt"), std::string::npos);
  EXPECT_NE(line.find("key=k1"), std::string::npos);
  EXPECT_NE(line.find("kmsRequestId=4112f4d6-db54-4af4-ae30-c55a22a8dfae"), std::string::npos);
  EXPECT_NE(line.find("result=OK"), std::string::npos);
  EXPECT_NE(line.find("latency_us="), std::string::npos);
}

}  // namespace
}  // namespace xks::api

namespace xks::api {
namespace {

// ---- Issue 11 ----

TEST_F(XksServiceTest, EncryptOnlyKeyEncryptsWithCdivAndTheSkippedCheckIsAudited) {
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"AES", 256, true, false});
  HttpResponse r = Call("acme", "encrypt", "k1", EncryptBody("data key", "ctx", true));
  ASSERT_EQ(r.status, 200) << r.body;
  json enc = json::parse(r.body);
  EXPECT_TRUE(enc.contains("ciphertextDataIntegrityValue"));
  EXPECT_EQ(backend_.calls("Decrypt"), 0) << "no verifying decrypt with a key that cannot";
  EXPECT_EQ(LastEvent().encrypt_verification, "skipped_key_cannot_decrypt");
  // The ciphertext is genuine: the same material with decrypt permission opens it.
  backend_.SetAttributes("tok-acme", "acme-k1", KeyAttributes{"AES", 256, true, true});
  clock_.Advance(std::chrono::seconds(11));
  EXPECT_EQ(Call("acme", "decrypt", "k1", DecryptBody(enc, "ctx")).status, 200);
}

TEST_F(XksServiceTest, EncryptVerificationIsAuditedForEveryPolicy) {
  EncryptOk("acme", "k1", "dk");
  EXPECT_EQ(LastEvent().encrypt_verification, "not_requested");
  ASSERT_EQ(Call("acme", "encrypt", "k1", EncryptBody("dk", std::nullopt, true)).status, 200);
  EXPECT_EQ(LastEvent().encrypt_verification, "decrypted");
  backend_.CorruptNextEncrypt();
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("dk", std::nullopt, true)), 500,
              "InternalException");
  EXPECT_EQ(LastEvent().encrypt_verification, "failed");
  Reconfigure([](json& d) { d["api"]["verify_encrypt"] = "always"; });
  EncryptOk("acme", "k1", "dk");
  EXPECT_EQ(LastEvent().encrypt_verification, "decrypted");
  Reconfigure([](json& d) { d["api"]["verify_encrypt"] = "never"; });
  ASSERT_EQ(Call("acme", "encrypt", "k1", EncryptBody("dk", std::nullopt, true)).status, 200);
  EXPECT_EQ(LastEvent().encrypt_verification, "not_requested");
  ExpectError(Call("acme", "decrypt", "k1", {{"requestMetadata", Metadata("Decrypt")}}), 400,
              "ValidationException");
  EXPECT_EQ(LastEvent().encrypt_verification, "") << "not an encrypt";
}

TEST_F(XksServiceTest, ResponsesSayWhetherTheRequestAuthenticated) {
  EXPECT_TRUE(Call("acme", "encrypt", "k1", EncryptBody("x")).authenticated);
  // Whatever happens after verification, the caller proved it holds the tenant's credential.
  EXPECT_TRUE(Call("acme", "encrypt", "missing", EncryptBody("x")).authenticated);
  EXPECT_TRUE(Call("acme", "encrypt", "k1", {{"requestMetadata", 5}}).authenticated);
  audit_.set_fail(true);
  HttpResponse failed_closed = Call("acme", "encrypt", "k1", EncryptBody("x"));
  EXPECT_EQ(failed_closed.status, 500);
  EXPECT_TRUE(failed_closed.authenticated);
  audit_.set_fail(false);

  HttpRequest wrong = Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump());
  wrong.headers[2].value = "mallory";
  EXPECT_FALSE(service_->Handle(wrong).authenticated);
  EXPECT_FALSE(service_->Handle(Request("acme", "/nowhere", "{}")).authenticated);
  EXPECT_FALSE(service_->Handle(Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", "", "GET"))
                   .authenticated);
}

TEST_F(XksServiceTest, RefusalsBeforeAuthenticationNeverWaitForTheAuditLog) {
  HttpRequest wrong = Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump());
  wrong.headers[2].value = "mallory";
  ExpectError(service_->Handle(wrong), 401, "AuthenticationFailedException");
  ExpectError(service_->Handle(Request("acme", "/nowhere", "{}")), 404, "InvalidUriPathException");
  EXPECT_EQ(service_->Handle(Request("acme", "/acme/kms/xks/v1/health", "", "GET")).status, 405);
  EXPECT_EQ(audit_.waited_appends(), 0);
  EXPECT_EQ(audit_.queued_appends(), 3) << "each still audited";
  EncryptOk("acme", "k1", "x");
  ExpectError(Call("acme", "encrypt", "missing", EncryptBody("x")), 404, "KeyNotFoundException");
  EXPECT_EQ(audit_.waited_appends(), 2) << "authenticated requests are durable before answering";
}

TEST_F(XksServiceTest, UnauthenticatedRefusalsGoThroughTheAggregator) {
  std::chrono::system_clock::time_point wall{std::chrono::hours(500000)};
  audit::RefusalAggregator refusals(audit_, {std::chrono::milliseconds(10000), 16},
                                    [&] { return wall; });
  XksServiceOptions options;
  options.clock = clock_.AsFunction();
  options.logger = &logger_;
  options.refusals = &refusals;
  XksService service([this] { return registry_; }, backend_, auth_, audit_, *health_, options);
  for (int i = 0; i < 5; ++i) service.Handle(Request("acme", "/nowhere", "{}"));
  for (int i = 0; i < 3; ++i) {
    HttpRequest wrong = Request("acme", "/acme/kms/xks/v1/health", "{}");
    wrong.headers[2].value = "mallory";
    service.Handle(wrong);
  }
  EXPECT_EQ(audit_.events().size(), 2u) << "the first of each kind, individually";
  EXPECT_EQ(
      service.Handle(Request("acme", "/acme/kms/xks/v1/keys/k1/encrypt", EncryptBody("x").dump()))
          .status,
      200);
  EXPECT_EQ(audit_.events().size(), 3u) << "authenticated requests are never aggregated";
  refusals.EndInterval();
  auto events = audit_.events();
  ASSERT_EQ(events.size(), 5u);
  std::map<std::string, audit::AuditEvent> summaries;
  for (std::size_t i = 3; i < events.size(); ++i) summaries[events[i].result] = events[i];
  EXPECT_EQ(summaries["InvalidUriPathException"].refusal_count, 4u);
  EXPECT_EQ(summaries["InvalidUriPathException"].tenant, "");
  EXPECT_EQ(summaries["InvalidUriPathException"].client_address, "192.0.2.7");
  EXPECT_EQ(summaries["AuthenticationFailedException"].refusal_count, 2u);
  EXPECT_EQ(summaries["AuthenticationFailedException"].tenant, "acme");
  EXPECT_EQ(summaries["AuthenticationFailedException"].kind,
            audit::AuditEvent::Kind::kRefusalSummary);
}

TEST_F(XksServiceTest, TheReasonForA401IsLoggedWithoutSecrets) {
  HttpRequest wrong = Request("acme", "/acme/kms/xks/v1/health", "{}");
  wrong.headers[2].value = "mallory";
  service_->Handle(wrong);
  const std::string line = logger_.lines().back();
  EXPECT_NE(line.find("status=401"), std::string::npos) << line;
  EXPECT_NE(line.find("detail=fake wrong_tenant: X-Test-Tenant does not name the tenant"),
            std::string::npos)
      << line;
  // Other 4xx keep their lines short: the client already got the reason.
  Call("acme", "encrypt", "missing", EncryptBody("x"));
  EXPECT_EQ(logger_.lines().back().find("detail="), std::string::npos);
}

TEST_F(XksServiceTest, UnusualRequestIdsAreEscapedInTheLogAndCappedInTheAudit) {
  json body = EncryptBody("x");
  body["requestMetadata"]["kmsRequestId"] = "id with \"quotes\"\nstatus=200 ~";
  ASSERT_EQ(Call("acme", "encrypt", "k1", body).status, 200);
  std::string line = logger_.lines().back();
  EXPECT_NE(line.find("kmsRequestId=id%20with%20%22quotes%22%0Astatus%3D200%20%7E status=200"),
            std::string::npos)
      << line;
  EXPECT_EQ(LastEvent().request_metadata["kmsRequestId"], body["requestMetadata"]["kmsRequestId"])
      << "the audit record keeps the exact value (JSON escapes it)";

  body["requestMetadata"]["kmsRequestId"] = std::string(60000, 'r');
  ASSERT_EQ(Call("acme", "encrypt", "k1", body).status, 200);
  line = logger_.lines().back();
  EXPECT_NE(line.find("kmsRequestId=" + std::string(256, 'r') + "~ "), std::string::npos);
  EXPECT_LT(line.size(), 1000u);
  const audit::AuditEvent ev = LastEvent();
  EXPECT_EQ(ev.request_metadata["kmsRequestId"], std::string(256, 'r'));
  EXPECT_EQ(ev.request_metadata_truncated["fields"]["kmsRequestId"], 60000);
}

TEST_F(XksServiceTest, DuplicateKeysAndTrailingBytesAreValidationErrors) {
  const std::string path = "/acme/kms/xks/v1/keys/k1/encrypt";
  const std::string good = EncryptBody("x").dump();
  EXPECT_EQ(service_->Handle(Request("acme", path, good)).status, 200);
  ExpectError(service_->Handle(Request("acme", path, good + std::string("\0GARBAGE", 8))), 400,
              "ValidationException");
  std::string dup = good;
  dup.insert(1, "\"plaintext\":\"AAAA\",");
  ExpectError(service_->Handle(Request("acme", path, dup)), 400, "ValidationException");
  std::string dup_md = good;
  dup_md.insert(dup_md.find("\"kmsRequestId\""), "\"kmsRequestId\":\"other\",");
  ExpectError(service_->Handle(Request("acme", path, dup_md)), 400, "ValidationException");
  ExpectError(service_->Handle(Request("acme", path, "{\"a\":\"\xff\"}")), 400,
              "ValidationException");
}

TEST_F(XksServiceTest, LikelyAuthenticNeedsARoutedTenantsKeyIdAndNoRecentFailure) {
  const std::string path = "/acme/kms/xks/v1/keys/k1/encrypt";
  HttpRequest r = Request("acme", path, "{}");
  EXPECT_TRUE(service_->LikelyAuthentic(r));
  HttpRequest other_id = r;
  other_id.headers[3].value = kGlobexAccessKey;
  EXPECT_FALSE(service_->LikelyAuthentic(other_id)) << "another tenant's key id";
  HttpRequest no_id = r;
  no_id.headers.pop_back();
  EXPECT_FALSE(service_->LikelyAuthentic(no_id)) << "no key id presented";
  EXPECT_FALSE(service_->LikelyAuthentic(Request("acme", "/nowhere", "{}"))) << "no tenant";
  HttpRequest already = no_id;
  already.connection.authenticated = true;
  EXPECT_TRUE(service_->LikelyAuthentic(already)) << "the connection authenticated before";

  // The same address then fails SigV4 with acme's key id, again and again: it loses the benefit
  // of the doubt, on every port, for a while; other addresses keep it. One stray failure does not.
  HttpRequest forged = r;
  forged.headers[2].value = "mallory";
  forged.connection.peer_address = "192.0.2.7:6000";
  ExpectError(service_->Handle(forged), 401, "AuthenticationFailedException");
  EXPECT_TRUE(service_->LikelyAuthentic(r)) << "a single failure";
  for (int i = 1; i < 8; ++i) {
    ExpectError(service_->Handle(forged), 401, "AuthenticationFailedException");
  }
  EXPECT_FALSE(service_->LikelyAuthentic(r));
  HttpRequest elsewhere = r;
  elsewhere.connection.peer_address = "198.51.100.3:5555";
  EXPECT_TRUE(service_->LikelyAuthentic(elsewhere));
  EXPECT_TRUE(service_->LikelyAuthentic(already));
  clock_.Advance(std::chrono::minutes(3));
  EXPECT_TRUE(service_->LikelyAuthentic(r));
}

TEST_F(XksServiceTest, ADetailWithClientBytesStaysOneLogLine) {
  // A backend (or verifier) detail may quote client-supplied bytes; the access log escapes them.
  backend_.FailNext("Encrypt",
                    MakeError(ErrorName::kInternal, "failed",
                              "key AKIA\r\nINFO api xks request status=200 \"q\" \xc3\xa9"));
  ExpectError(Call("acme", "encrypt", "k1", EncryptBody("x")), 500, "InternalException");
  const std::string line = logger_.lines().back();
  EXPECT_EQ(line.find_first_of("\r\n\""), std::string::npos) << line;
  EXPECT_EQ(line.find(" status=200"), std::string::npos) << line;
  EXPECT_NE(line.find("(key AKIA\\x0d\\x0aINFO api xks request status\\x3d200 \\x22q\\x22 "
                      "\\xc3\\xa9)"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace xks::api
