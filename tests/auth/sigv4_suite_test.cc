// Runs the AWS SigV4 reference suites (reference/sigv4-testsuite) through the building blocks and
// the verifier: for every header-signing case the canonical request, string to sign and signature
// must equal the stored files byte for byte, the verifier (configured with the suites' service name
// "service" and the suites' clock) must accept the signed request, and must reject it once one
// signature digit is changed.
//
// Skipped on purpose: the aws-c-auth `query-*.txt` files (presigned-URL signing: the proxy only
// accepts the Authorization-header form, which is what KMS sends). Every `header-*` case and all 34
// aws4_testsuite cases run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proxy/auth/authorization_header.h"
#include "proxy/auth/credential_store.h"
#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_signer.h"
#include "proxy/auth/sigv4_verifier.h"
#include "tests/auth/raw_request.h"

namespace xks::auth {
namespace {

namespace fs = std::filesystem;
using testing::ParseRawRequest;
using testing::ReadFileOrEmpty;

const std::string kSuiteDir = std::string(XKS_REFERENCE_DIR) + "/sigv4-testsuite";
constexpr std::string_view kAkid = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20150830T123600Z";
constexpr std::string_view kTenant = "suite-tenant";

std::chrono::system_clock::time_point SuiteTime() { return *ParseAmzDate(kAmzDate); }

CredentialStore StoreWith(std::string_view akid, std::string_view secret) {
  std::vector<Credential> creds;
  creds.push_back({std::string(akid), SecretBytes(secret), std::string(kTenant)});
  return CredentialStore(std::move(creds));
}

// Returns a copy of `request` with the last signature digit changed.
HttpRequest WithTamperedSignature(HttpRequest request) {
  for (auto& header : request.headers) {
    if (!HeaderNameEquals(header.name, "authorization")) continue;
    char& last = header.value.back();
    last = last == '0' ? '1' : '0';
  }
  return request;
}

std::string TestName(std::string name) {
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

// ---------------------------------------------------------------------------------------------
// aws4_testsuite (botocore layout): <case>.req/.sreq/.creq/.sts/.authz
struct Aws4Case {
  std::string name;
  fs::path dir;
};
void PrintTo(const Aws4Case& c, std::ostream* os) { *os << c.name; }

std::vector<Aws4Case> Aws4Cases() {
  std::vector<Aws4Case> cases;
  const fs::path root = fs::path(kSuiteDir) / "aws4_testsuite";
  if (!fs::exists(root)) return cases;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".req") {
      cases.push_back({entry.path().stem().string(), entry.path().parent_path()});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const Aws4Case& a, const Aws4Case& b) { return a.name < b.name; });
  return cases;
}

class SigV4Aws4SuiteTest : public ::testing::TestWithParam<Aws4Case> {
 protected:
  std::string File(const std::string& ext) const {
    return ReadFileOrEmpty((GetParam().dir / (GetParam().name + ext)).string());
  }
};

TEST(SigV4Aws4SuiteInventory, HasAll34Cases) { EXPECT_EQ(Aws4Cases().size(), 34u); }

TEST_P(SigV4Aws4SuiteTest, CanonicalRequestStringToSignSignatureAndVerify) {
  const std::string creq = File(".creq");
  const std::string sts = File(".sts");
  const std::string authz = File(".authz");
  ASSERT_FALSE(creq.empty());
  HttpRequest signed_request = ParseRawRequest(File(".sreq"));
  ASSERT_EQ(signed_request.HeaderCount("authorization"), 1u);
  // Upstream inconsistency: in get-vanilla-with-session-token the .sreq carries a signature that is
  // not the .authz one (and not valid); the .creq/.sts/.authz chain is self-consistent. The
  // verifier must reject the .sreq as shipped and accept it with the .authz header.
  for (auto& header : signed_request.headers) {
    if (!HeaderNameEquals(header.name, "authorization") || header.value == authz) continue;
    EXPECT_EQ(GetParam().name, "get-vanilla-with-session-token")
        << "unexpected .sreq/.authz mismatch";
    const SigV4Verifier verifier(SigV4Options{.service = "service"});
    EXPECT_FALSE(
        verifier.Verify(signed_request, StoreWith(kAkid, kSecret), kTenant, SuiteTime()).ok());
    header.value = authz;
  }
  auto parsed = ParseAuthorization(authz);
  ASSERT_TRUE(parsed.ok()) << parsed.error().log_detail;

  const std::string canonical =
      CanonicalRequest(signed_request.method, signed_request.target, signed_request.headers,
                       parsed->signed_headers, Sha256Hex(signed_request.body));
  EXPECT_EQ(canonical, creq);
  const std::string string_to_sign =
      StringToSign(kAmzDate, CredentialScope("20150830", "us-east-1", "service"), canonical);
  EXPECT_EQ(string_to_sign, sts);
  const SecretBytes key = DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_EQ(HexEncode(ComputeSignature(key.span(), sts)), parsed->signature_hex);

  const CredentialStore store = StoreWith(kAkid, kSecret);
  const SigV4Verifier verifier(SigV4Options{.service = "service"});
  auto result = verifier.Verify(signed_request, store, kTenant, SuiteTime());
  ASSERT_TRUE(result.ok()) << result.error().log_detail;
  EXPECT_EQ(result->access_key_id, kAkid);
  EXPECT_EQ(result->region, "us-east-1");
  EXPECT_EQ(result->tenant, kTenant);
  EXPECT_FALSE(
      verifier.Verify(WithTamperedSignature(signed_request), store, kTenant, SuiteTime()).ok());
}

// Our signer, given the unsigned .req, must produce the suite's Authorization header whenever the
// suite signed exactly the request's own headers plus X-Amz-Date (all but the session-token cases).
TEST_P(SigV4Aws4SuiteTest, SignerReproducesAuthorization) {
  const HttpRequest unsigned_request = ParseRawRequest(File(".req"));
  auto parsed = ParseAuthorization(File(".authz"));
  ASSERT_TRUE(parsed.ok());
  std::vector<std::string> names = {"x-amz-date"};
  for (const auto& h : unsigned_request.headers) names.push_back(AsciiLower(h.name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names != parsed->signed_headers) {
    GTEST_SKIP() << "the suite signs headers not in the .req (session token)";
  }
  SigningInput in{.method = unsigned_request.method,
                  .target = unsigned_request.target,
                  .headers = unsigned_request.headers,
                  .body = unsigned_request.body,
                  .access_key_id = std::string(kAkid),
                  .secret = kSecret,
                  .region = "us-east-1",
                  .service = "service",
                  .amz_date = std::string(kAmzDate)};
  const auto added = SignRequest(in);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].name, "X-Amz-Date");
  EXPECT_EQ(added[1].name, "Authorization");
  EXPECT_EQ(added[1].value, File(".authz"));
}

INSTANTIATE_TEST_SUITE_P(Suite, SigV4Aws4SuiteTest, ::testing::ValuesIn(Aws4Cases()),
                         [](const auto& param_info) { return TestName(param_info.param.name); });

// ---------------------------------------------------------------------------------------------
// aws-c-auth-v4 layout: context.json + header-*.txt
std::vector<std::string> AwsCAuthCases() {
  std::vector<std::string> cases;
  const fs::path root = fs::path(kSuiteDir) / "aws-c-auth-v4";
  if (!fs::exists(root)) return cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "context.json")) cases.push_back(entry.path().filename());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

class SigV4AwsCAuthSuiteTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string File(const std::string& name) const {
    return ReadFileOrEmpty(kSuiteDir + "/aws-c-auth-v4/" + GetParam() + "/" + name);
  }
};

TEST(SigV4AwsCAuthSuiteInventory, HasAll38Cases) { EXPECT_EQ(AwsCAuthCases().size(), 38u); }

TEST_P(SigV4AwsCAuthSuiteTest, HeaderSigningMatchesAndVerifies) {
  const auto context = nlohmann::json::parse(File("context.json"));
  const std::string akid = context["credentials"]["access_key_id"];
  const std::string secret = context["credentials"]["secret_access_key"];
  const std::string region = context["region"];
  const std::string service = context["service"];
  const bool normalize = context["normalize"];
  const std::string creq = File("header-canonical-request.txt");
  const std::string sts = File("header-string-to-sign.txt");
  const std::string signature = File("header-signature.txt");
  const HttpRequest signed_request = ParseRawRequest(File("header-signed-request.txt"));
  ASSERT_EQ(signed_request.HeaderCount("authorization"), 1u);
  auto parsed = ParseAuthorization(*signed_request.Header("authorization"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().log_detail;
  const std::string amz_date(*signed_request.Header("x-amz-date"));
  ASSERT_EQ(amz_date, kAmzDate);

  const std::string canonical =
      CanonicalRequest(signed_request.method, signed_request.target, signed_request.headers,
                       parsed->signed_headers, Sha256Hex(signed_request.body), normalize);
  EXPECT_EQ(canonical, creq);
  const std::string string_to_sign =
      StringToSign(amz_date, CredentialScope("20150830", region, service), canonical);
  EXPECT_EQ(string_to_sign, sts);
  const SecretBytes key = DeriveSigningKey(secret, "20150830", region, service);
  EXPECT_EQ(HexEncode(ComputeSignature(key.span(), sts)), signature);
  EXPECT_EQ(parsed->signature_hex, signature);

  const CredentialStore store = StoreWith(akid, secret);
  const SigV4Verifier verifier(SigV4Options{.service = service, .normalize_path = normalize});
  auto result = verifier.Verify(signed_request, store, kTenant, SuiteTime());
  ASSERT_TRUE(result.ok()) << result.error().log_detail;
  EXPECT_FALSE(
      verifier.Verify(WithTamperedSignature(signed_request), store, kTenant, SuiteTime()).ok());
}

INSTANTIATE_TEST_SUITE_P(Suite, SigV4AwsCAuthSuiteTest, ::testing::ValuesIn(AwsCAuthCases()),
                         [](const auto& param_info) { return TestName(param_info.param); });

// ---------------------------------------------------------------------------------------------
// xks-curl-example: a real XKS-shaped request, service kms-xks-proxy, default verifier options.
class SigV4XksCurlExampleTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name) const {
    return ReadFileOrEmpty(kSuiteDir + "/xks-curl-example/" + name);
  }
};

TEST_F(SigV4XksCurlExampleTest, BuildingBlocksMatchTheCapturedRequest) {
  const auto context = nlohmann::json::parse(File("context.json"));
  const HttpRequest request = ParseRawRequest(File("signed-request.http"));
  EXPECT_EQ(request.body, File("body.json"));
  auto parsed = ParseAuthorization(*request.Header("authorization"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().log_detail;
  const std::string canonical = CanonicalRequest(request.method, request.target, request.headers,
                                                 parsed->signed_headers, Sha256Hex(request.body));
  EXPECT_EQ(canonical, File("canonical-request.txt"));
  const std::string amz_date = context["x_amz_date"];
  const std::string string_to_sign = StringToSign(
      amz_date, CredentialScope(amz_date.substr(0, 8), "us-east-1", kXksServiceName), canonical);
  EXPECT_EQ(string_to_sign, File("string-to-sign.txt"));
  const SecretBytes key = DeriveSigningKey(std::string(context["secret_access_key"]),
                                           amz_date.substr(0, 8), "us-east-1", kXksServiceName);
  EXPECT_EQ(HexEncode(key.span()), context["signing_key_hex"]);
  EXPECT_THAT(File("signature.txt"),
              ::testing::StartsWith(HexEncode(ComputeSignature(key.span(), string_to_sign))));
}

TEST_F(SigV4XksCurlExampleTest, VerifiesEndToEndWithDefaultOptions) {
  const auto context = nlohmann::json::parse(File("context.json"));
  const HttpRequest request = ParseRawRequest(File("signed-request.http"));
  const CredentialStore store =
      StoreWith(std::string(context["access_key_id"]), std::string(context["secret_access_key"]));
  const SigV4Verifier verifier;  // service kms-xks-proxy, 300 s skew
  const auto signed_at = *ParseAmzDate(std::string(context["x_amz_date"]));
  auto result = verifier.Verify(request, store, kTenant, signed_at + std::chrono::seconds(42));
  ASSERT_TRUE(result.ok()) << result.error().log_detail;
  EXPECT_EQ(result->access_key_id, "BETWEEN2TENAND3TENCHARACTERS");
  EXPECT_EQ(result->region, "us-east-1");

  HttpRequest changed = request;
  changed.body.back() = ' ';
  EXPECT_FALSE(verifier.Verify(changed, store, kTenant, signed_at).ok());
  EXPECT_FALSE(verifier.Verify(request, store, kTenant, signed_at + std::chrono::minutes(6)).ok());
  EXPECT_FALSE(SigV4Verifier(SigV4Options{.service = "service"})
                   .Verify(request, store, kTenant, signed_at)
                   .ok());
}

}  // namespace
}  // namespace xks::auth
