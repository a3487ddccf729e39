#include "proxy/auth/sigv4_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_signer.h"

namespace xks::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kAkidA = "AKIAAAAAAAAAAAAAAAA2";
constexpr std::string_view kSecretA = "tenantAsecretAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/=";
constexpr std::string_view kAkidA2 = "AKIAAAAAAAAAAAAAAAA3";
constexpr std::string_view kSecretA2 = "tenantAsecondSecretAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr std::string_view kAkidB = "AKIABBBBBBBBBBBBBBB2";
constexpr std::string_view kSecretB = "tenantBsecretBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
constexpr std::string_view kTarget = "/tenant-a/kms/xks/v1/keys/key-1/encrypt";
constexpr std::string_view kBody =
    R"({"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::123456789012:user/Alice",)"
    R"("kmsOperation":"Encrypt","kmsRequestId":"4112f4d6-db54-4af4-ae30-c55a22a8dfae"},)"
    R"("plaintext":"SGVsbG8gV29ybGQ=","encryptionAlgorithm":"AES_GCM"})";

std::chrono::system_clock::time_point Now() { return *ParseAmzDate("20261127T211500Z"); }

std::vector<Credential> Creds() {
  std::vector<Credential> creds;
  creds.push_back({std::string(kAkidA), SecretBytes(kSecretA), "tenant-a"});
  creds.push_back({std::string(kAkidA2), SecretBytes(kSecretA2), "tenant-a"});
  creds.push_back({std::string(kAkidB), SecretBytes(kSecretB), "tenant-b"});
  return creds;
}

struct SignOptions {
  std::string_view akid = kAkidA;
  std::string_view secret = kSecretA;
  std::chrono::system_clock::time_point at = Now();
  std::string service = "kms-xks-proxy";
  bool sign_host = true;
  bool sign_content_type = false;
  bool content_sha256 = false;
};

// A KMS-shaped request: POST with Host and X-Amz-Date signed, Content-Type sent unsigned (as KMS
// does) unless asked otherwise.
HttpRequest SignedRequest(const SignOptions& o = {}) {
  HttpRequest request;
  request.method = "POST";
  request.target = std::string(kTarget);
  request.body = std::string(kBody);
  SigningInput in{.method = request.method,
                  .target = request.target,
                  .headers = {},
                  .body = request.body,
                  .access_key_id = std::string(o.akid),
                  .secret = o.secret,
                  .region = "eu-west-1",
                  .service = o.service,
                  .amz_date = FormatAmzDate(o.at),
                  .add_content_sha256 = o.content_sha256};
  if (o.sign_host) in.headers.push_back({"Host", "xks.example.com"});
  if (o.sign_content_type) in.headers.push_back({"Content-Type", "application/json"});
  request.headers = in.headers;
  for (auto& h : SignRequest(in)) request.headers.push_back(std::move(h));
  if (!o.sign_host) request.headers.push_back({"Host", "xks.example.com"});
  if (!o.sign_content_type) request.headers.push_back({"Content-Type", "application/json"});
  request.headers.push_back({"User-Agent", "kms-test"});
  return request;
}

HttpHeader* FindHeader(HttpRequest& request, std::string_view name) {
  for (auto& h : request.headers) {
    if (HeaderNameEquals(h.name, name)) return &h;
  }
  return nullptr;
}

void RemoveHeader(HttpRequest& request, std::string_view name) {
  std::erase_if(request.headers,
                [&](const HttpHeader& h) { return HeaderNameEquals(h.name, name); });
}

class SigV4VerifierTest : public ::testing::Test {
 protected:
  // Asserts the uniform failure shape and returns log_detail for reason-specific checks.
  std::string ExpectAuthFailure(const HttpRequest& request, std::string_view tenant = "tenant-a",
                                std::chrono::system_clock::time_point now = Now()) {
    auto result = verifier_.Verify(request, store_, tenant, now);
    EXPECT_FALSE(result.ok());
    if (result.ok()) return {};
    const Error& e = result.error();
    EXPECT_EQ(e.name, ErrorName::kAuthenticationFailed);
    EXPECT_EQ(e.message, kAuthenticationFailedMessage);
    EXPECT_FALSE(e.log_detail.empty());
    for (std::string_view secret : {kSecretA, kSecretA2, kSecretB}) {
      EXPECT_THAT(e.log_detail, Not(HasSubstr(std::string(secret))));
    }
    return e.log_detail;
  }

  CredentialStore store_{Creds()};
  SigV4Verifier verifier_;
};

TEST_F(SigV4VerifierTest, SignerRoundTripVerifies) {
  auto result = verifier_.Verify(SignedRequest(), store_, "tenant-a", Now());
  ASSERT_TRUE(result.ok()) << result.error().log_detail;
  EXPECT_EQ(result->access_key_id, kAkidA);
  EXPECT_EQ(result->region, "eu-west-1");
  EXPECT_EQ(result->tenant, "tenant-a");
}

TEST_F(SigV4VerifierTest, SignedContentTypeAndContentSha256Verify) {
  auto result = verifier_.Verify(SignedRequest({.sign_content_type = true, .content_sha256 = true}),
                                 store_, "tenant-a", Now());
  EXPECT_TRUE(result.ok()) << result.error().log_detail;
}

TEST_F(SigV4VerifierTest, UnsignedHeaderMayChange) {
  HttpRequest request = SignedRequest();
  FindHeader(request, "user-agent")->value = "something else";
  FindHeader(request, "content-type")->value = "text/plain";
  EXPECT_TRUE(verifier_.Verify(request, store_, "tenant-a", Now()).ok());
}

TEST_F(SigV4VerifierTest, RotationBothCredentialsOfATenantAreAccepted) {
  EXPECT_TRUE(
      verifier_
          .Verify(SignedRequest({.akid = kAkidA, .secret = kSecretA}), store_, "tenant-a", Now())
          .ok());
  auto second = verifier_.Verify(SignedRequest({.akid = kAkidA2, .secret = kSecretA2}), store_,
                                 "tenant-a", Now());
  ASSERT_TRUE(second.ok()) << second.error().log_detail;
  EXPECT_EQ(second->access_key_id, kAkidA2);
}

TEST_F(SigV4VerifierTest, ClockSkewWithinFourMinutesAccepted) {
  for (auto offset : {minutes(-4), minutes(4), minutes(5), minutes(-5), minutes(0)}) {
    EXPECT_TRUE(
        verifier_.Verify(SignedRequest({.at = Now() + offset}), store_, "tenant-a", Now()).ok())
        << offset.count();
  }
}

TEST_F(SigV4VerifierTest, ClockSkewOfSixMinutesRejected) {
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.at = Now() - minutes(6)})), HasSubstr("skew"));
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.at = Now() + minutes(6)})), HasSubstr("skew"));
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.at = Now() + minutes(5) + seconds(1)})),
              HasSubstr("skew"));
}

TEST_F(SigV4VerifierTest, ConfigurableSkew) {
  const SigV4Verifier strict(SigV4Options{.max_clock_skew = seconds(30)});
  EXPECT_FALSE(
      strict.Verify(SignedRequest({.at = Now() - minutes(1)}), store_, "tenant-a", Now()).ok());
  EXPECT_TRUE(
      strict.Verify(SignedRequest({.at = Now() - seconds(30)}), store_, "tenant-a", Now()).ok());
}

TEST_F(SigV4VerifierTest, WrongSecretRejected) {
  const std::string wrong = std::string(kSecretA) + "x";
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.secret = wrong})), HasSubstr("signature mismatch"));
}

TEST_F(SigV4VerifierTest, UnknownAccessKeyIdRejected) {
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.akid = "AKIAZZZZZZZZZZZZZZZ2"})),
              HasSubstr("unknown access key id"));
}

TEST_F(SigV4VerifierTest, OtherTenantsCredentialRejected) {
  const HttpRequest request = SignedRequest({.akid = kAkidB, .secret = kSecretB});
  EXPECT_TRUE(verifier_.Verify(request, store_, "tenant-b", Now()).ok());
  EXPECT_THAT(ExpectAuthFailure(request, "tenant-a"), HasSubstr("another tenant"));
}

TEST_F(SigV4VerifierTest, BodyChangedAfterSigningRejected) {
  HttpRequest request = SignedRequest();
  request.body[request.body.size() - 3] = 'X';
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("signature mismatch"));
  // Also with a signed X-Amz-Content-SHA256 that still names the old body.
  HttpRequest with_sha = SignedRequest({.content_sha256 = true});
  with_sha.body.append(" ");
  EXPECT_THAT(ExpectAuthFailure(with_sha), HasSubstr("X-Amz-Content-SHA256"));
}

TEST_F(SigV4VerifierTest, UnsignedPayloadRefused) {
  HttpRequest request = SignedRequest();
  request.headers.push_back({"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"});
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("X-Amz-Content-SHA256"));
}

TEST_F(SigV4VerifierTest, SignedHeaderValueChangedRejected) {
  HttpRequest request = SignedRequest();
  FindHeader(request, "host")->value = "evil.example.com";
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("signature mismatch"));
  HttpRequest ct = SignedRequest({.sign_content_type = true});
  FindHeader(ct, "content-type")->value = "text/plain";
  EXPECT_THAT(ExpectAuthFailure(ct), HasSubstr("signature mismatch"));
}

TEST_F(SigV4VerifierTest, PathChangedRejected) {
  HttpRequest request = SignedRequest();
  request.target = "/tenant-a/kms/xks/v1/keys/key-2/encrypt";
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("signature mismatch"));
  HttpRequest method = SignedRequest();
  method.method = "PUT";
  EXPECT_THAT(ExpectAuthFailure(method), HasSubstr("signature mismatch"));
}

TEST_F(SigV4VerifierTest, MissingXAmzDateRejected) {
  HttpRequest request = SignedRequest();
  RemoveHeader(request, "x-amz-date");
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("X-Amz-Date"));
}

TEST_F(SigV4VerifierTest, DuplicateOrMalformedXAmzDateRejected) {
  HttpRequest dup = SignedRequest();
  dup.headers.push_back({"x-amz-date", std::string(FindHeader(dup, "x-amz-date")->value)});
  EXPECT_THAT(ExpectAuthFailure(dup), HasSubstr("exactly one X-Amz-Date"));
  HttpRequest bad = SignedRequest();
  FindHeader(bad, "x-amz-date")->value = "20261127T211500";
  EXPECT_THAT(ExpectAuthFailure(bad), HasSubstr("YYYYMMDDTHHMMSSZ"));
}

TEST_F(SigV4VerifierTest, HostNotSignedRejected) {
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.sign_host = false})),
              HasSubstr("host is not a signed header"));
}

TEST_F(SigV4VerifierTest, SignedHeaderAbsentRejected) {
  HttpRequest request = SignedRequest({.sign_content_type = true});
  RemoveHeader(request, "content-type");
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("'content-type' is absent"));
}

TEST_F(SigV4VerifierTest, XAmzDateNotSignedRejected) {
  // Built by hand: our signer always signs X-Amz-Date.
  HttpRequest request = SignedRequest();
  HttpHeader* auth = FindHeader(request, "authorization");
  const auto pos = auth->value.find("host;x-amz-date");
  ASSERT_NE(pos, std::string::npos);
  auth->value.replace(pos, 15, "host");
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("x-amz-date is not a signed header"));
}

TEST_F(SigV4VerifierTest, DuplicateAuthorizationHeaderRejected) {
  HttpRequest request = SignedRequest();
  request.headers.push_back(*FindHeader(request, "authorization"));
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("more than one Authorization"));
}

TEST_F(SigV4VerifierTest, MissingAuthorizationRejected) {
  HttpRequest request = SignedRequest();
  RemoveHeader(request, "authorization");
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("no Authorization"));
}

TEST_F(SigV4VerifierTest, WrongServiceRejected) {
  EXPECT_THAT(ExpectAuthFailure(SignedRequest({.service = "kms"})), HasSubstr("service"));
}

TEST_F(SigV4VerifierTest, CredentialDateDifferentFromXAmzDateRejected) {
  // A correctly signed request whose credential scope names the previous day.
  HttpRequest request = SignedRequest();
  const std::string amz_date = FormatAmzDate(Now());
  const std::string other_day = "20261126";
  const std::string canonical = CanonicalRequest(request.method, request.target, request.headers,
                                                 {"host", "x-amz-date"}, Sha256Hex(request.body));
  const std::string scope = CredentialScope(other_day, "eu-west-1", kXksServiceName);
  const SecretBytes key = DeriveSigningKey(kSecretA, other_day, "eu-west-1", kXksServiceName);
  const std::string sig =
      HexEncode(ComputeSignature(key.span(), StringToSign(amz_date, scope, canonical)));
  FindHeader(request, "authorization")->value =
      "AWS4-HMAC-SHA256 Credential=" + std::string(kAkidA) + "/" + scope +
      ", SignedHeaders=host;x-amz-date, Signature=" + sig;
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("differs from X-Amz-Date"));
}

TEST_F(SigV4VerifierTest, EveryKindOfFailureHasItsOwnReasonWord) {
  // Operators grep and count these words (docs/operations.md), so each kind must be told apart.
  HttpRequest no_auth = SignedRequest();
  RemoveHeader(no_auth, "authorization");
  HttpRequest malformed = SignedRequest();
  FindHeader(malformed, "authorization")->value = "AWS4-HMAC-SHA256 Credential=x";
  HttpRequest bad_date = SignedRequest();
  FindHeader(bad_date, "x-amz-date")->value = "yesterday";
  HttpRequest tampered = SignedRequest({.content_sha256 = true});
  tampered.body.append(" ");
  HttpRequest absent = SignedRequest({.sign_content_type = true});
  RemoveHeader(absent, "content-type");
  const std::pair<HttpRequest, std::string> cases[] = {
      {no_auth, "sigv4 missing_authorization: "},
      {malformed, "sigv4 malformed_authorization: "},
      {SignedRequest({.service = "kms"}), "sigv4 wrong_service: "},
      {SignedRequest({.sign_host = false}), "sigv4 unsigned_required_header: "},
      {bad_date, "sigv4 malformed_date: "},
      {SignedRequest({.at = Now() - minutes(6)}), "sigv4 clock_skew: "},
      {absent, "sigv4 missing_signed_header: "},
      {tampered, "sigv4 payload_hash_mismatch: "},
      {SignedRequest({.akid = "AKIAZZZZZZZZZZZZZZZ2"}), "sigv4 unknown_access_key_id: "},
      {SignedRequest({.akid = kAkidB, .secret = kSecretB}), "sigv4 wrong_tenant: "},
      {SignedRequest({.secret = kSecretA2}), "sigv4 signature_mismatch: "},
  };
  for (const auto& [request, reason] : cases) {
    const std::string detail = ExpectAuthFailure(request);
    EXPECT_EQ(detail.rfind(reason, 0), 0u) << detail;
    const std::string signature = request.Header("authorization")
                                      ? std::string(*request.Header("authorization"))
                                      : std::string();
    const auto sig_pos = signature.find("Signature=");
    if (sig_pos != std::string::npos) {
      EXPECT_THAT(detail, Not(HasSubstr(signature.substr(sig_pos + 10)))) << "no signature";
    }
  }
}

TEST_F(SigV4VerifierTest, AuthorizationFormattingVariantsAccepted) {
  // The signature does not cover the Authorization header, so respacing it keeps it valid.
  const HttpRequest base = SignedRequest();
  const std::string value(*base.Header("authorization"));
  for (const std::string& variant : {value, std::string([&] {
                                       std::string v = value;
                                       for (auto p = v.find(", "); p != std::string::npos;
                                            p = v.find(", "))
                                         v.erase(p + 1, 1);
                                       return v;
                                     }()),
                                     std::string([&] {
                                       std::string v = value;
                                       v.insert(v.find(' '), "   ");
                                       return v;
                                     }())}) {
    HttpRequest request = base;
    FindHeader(request, "authorization")->value = variant;
    auto result = verifier_.Verify(request, store_, "tenant-a", Now());
    EXPECT_TRUE(result.ok()) << variant << ": " << result.error().log_detail;
  }
}

struct MalformedCase {
  const char* name;
  std::string (*mutate)(const std::string& value);
};

std::string ReplaceFirst(std::string s, std::string_view from, std::string_view to) {
  const auto pos = s.find(from);
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}
std::string CredentialPart(const std::string& v) {
  return v.substr(v.find("Credential="), v.find(',') - v.find("Credential="));
}
std::string SignaturePart(const std::string& v) { return v.substr(v.find("Signature=")); }

const MalformedCase kMalformed[] = {
    {"Empty", [](const std::string&) { return std::string(); }},
    {"OnlyAlgorithm", [](const std::string&) { return std::string("AWS4-HMAC-SHA256"); }},
    {"WrongAlgorithm",
     [](const std::string& v) { return ReplaceFirst(v, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"); }},
    {"LowercaseAlgorithm",
     [](const std::string& v) { return ReplaceFirst(v, "AWS4-HMAC-SHA256", "aws4-hmac-sha256"); }},
    {"NoSpaceAfterAlgorithm",
     [](const std::string& v) { return ReplaceFirst(v, "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256"); }},
    {"MissingCredential",
     [](const std::string& v) { return ReplaceFirst(v, CredentialPart(v) + ", ", ""); }},
    {"MissingSignedHeaders",
     [](const std::string& v) { return ReplaceFirst(v, "SignedHeaders=host;x-amz-date, ", ""); }},
    {"MissingSignature",
     [](const std::string& v) { return ReplaceFirst(v, ", " + SignaturePart(v), ""); }},
    {"CredentialTwice",
     [](const std::string& v) {
       return ReplaceFirst(v, "SignedHeaders", CredentialPart(v) + ", SignedHeaders");
     }},
    {"SignatureTwice", [](const std::string& v) { return v + ", " + SignaturePart(v); }},
    {"SignedHeadersTwice",
     [](const std::string& v) {
       return ReplaceFirst(v, "Signature=", "SignedHeaders=host;x-amz-date, Signature=");
     }},
    {"UnknownComponent", [](const std::string& v) { return v + ", Foo=bar"; }},
    {"TrailingComma", [](const std::string& v) { return v + ","; }},
    {"SemicolonSeparators",
     [](const std::string& v) { return ReplaceFirst(ReplaceFirst(v, ", ", "; "), ", ", "; "); }},
    {"CredentialFourParts", [](const std::string& v) { return ReplaceFirst(v, "/eu-west-1", ""); }},
    {"CredentialSixParts",
     [](const std::string& v) { return ReplaceFirst(v, "/aws4_request", "/aws4_request/x"); }},
    {"CredentialEmptyRegion",
     [](const std::string& v) { return ReplaceFirst(v, "eu-west-1", ""); }},
    {"WrongTerminator",
     [](const std::string& v) { return ReplaceFirst(v, "aws4_request", "aws4_request2"); }},
    {"ShortCredentialDate",
     [](const std::string& v) { return ReplaceFirst(v, "/20261127/", "/2026112/"); }},
    {"SignedHeadersUnsorted",
     [](const std::string& v) { return ReplaceFirst(v, "host;x-amz-date", "x-amz-date;host"); }},
    {"SignedHeadersUppercase",
     [](const std::string& v) { return ReplaceFirst(v, "host;x-amz-date", "Host;x-amz-date"); }},
    {"SignedHeadersDuplicate",
     [](const std::string& v) {
       return ReplaceFirst(v, "host;x-amz-date", "host;host;x-amz-date");
     }},
    {"SignedHeadersEmptyName",
     [](const std::string& v) { return ReplaceFirst(v, "host;x-amz-date", "host;;x-amz-date"); }},
    {"SignatureUppercase",
     [](const std::string& v) {
       std::string s = SignaturePart(v);
       for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
       return ReplaceFirst(v, SignaturePart(v), "Signature=" + s.substr(10));
     }},
    {"SignatureShort", [](const std::string& v) { return v.substr(0, v.size() - 1); }},
    {"SignatureLong", [](const std::string& v) { return v + "0"; }},
    {"SignatureNotHex", [](const std::string& v) { return v.substr(0, v.size() - 1) + "g"; }},
    {"SpaceAroundEquals",
     [](const std::string& v) { return ReplaceFirst(v, "Signature=", "Signature = "); }},
};

class SigV4MalformedAuthorizationTest : public SigV4VerifierTest,
                                        public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(SigV4MalformedAuthorizationTest, Rejected) {
  HttpRequest request = SignedRequest();
  HttpHeader* auth = FindHeader(request, "authorization");
  const std::string mutated = GetParam().mutate(auth->value);
  ASSERT_NE(mutated, auth->value);
  auth->value = mutated;
  EXPECT_THAT(ExpectAuthFailure(request), HasSubstr("malformed Authorization"));
  EXPECT_EQ(SigV4Verifier::PresentedAccessKeyId(request), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Variants, SigV4MalformedAuthorizationTest, ::testing::ValuesIn(kMalformed),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(SigV4VerifierTest, PresentedAccessKeyId) {
  HttpRequest request = SignedRequest({.secret = "wrong-secret"});
  EXPECT_EQ(SigV4Verifier::PresentedAccessKeyId(request), std::string(kAkidA));
  request.headers.push_back(*FindHeader(request, "authorization"));
  EXPECT_EQ(SigV4Verifier::PresentedAccessKeyId(request), std::nullopt);
  RemoveHeader(request, "authorization");
  EXPECT_EQ(SigV4Verifier::PresentedAccessKeyId(request), std::nullopt);
}

TEST_F(SigV4VerifierTest, FailureReasonsAreDistinctButMessageIsFixed) {
  const std::vector<std::string> details = {
      ExpectAuthFailure(SignedRequest({.secret = "nope"})),
      ExpectAuthFailure(SignedRequest({.akid = "AKIAZZZZZZZZZZZZZZZ2"})),
      ExpectAuthFailure(SignedRequest({.at = Now() - minutes(10)})),
      ExpectAuthFailure(SignedRequest({.service = "kms"})),
  };
  for (std::size_t i = 0; i < details.size(); ++i) {
    for (std::size_t j = i + 1; j < details.size(); ++j) EXPECT_NE(details[i], details[j]);
  }
}

TEST_F(SigV4VerifierTest, SigningKeyCacheIsFilledAndKeyedByStoreGeneration) {
  EXPECT_EQ(verifier_.cached_signing_keys(), 0u);
  ASSERT_TRUE(verifier_.Verify(SignedRequest(), store_, "tenant-a", Now()).ok());
  ASSERT_TRUE(verifier_.Verify(SignedRequest(), store_, "tenant-a", Now()).ok());
  EXPECT_EQ(verifier_.cached_signing_keys(), 1u);
  // A wrong secret must not be "rescued" by the cached key: the cache holds keys, not verdicts.
  EXPECT_FALSE(
      verifier_.Verify(SignedRequest({.secret = kSecretA2}), store_, "tenant-a", Now()).ok());

  // Rotation by reload: the same access key id with a new secret in a new store. The warm entry
  // for the old secret must not be used.
  std::vector<Credential> rotated;
  rotated.push_back({std::string(kAkidA), SecretBytes(kSecretA2), "tenant-a"});
  const CredentialStore new_store(std::move(rotated));
  EXPECT_FALSE(verifier_.Verify(SignedRequest(), new_store, "tenant-a", Now()).ok());
  EXPECT_TRUE(
      verifier_.Verify(SignedRequest({.secret = kSecretA2}), new_store, "tenant-a", Now()).ok());
}

TEST_F(SigV4VerifierTest, CacheDisabledStillVerifies) {
  const SigV4Verifier cold(SigV4Options{.signing_key_cache_capacity = 0});
  EXPECT_TRUE(cold.Verify(SignedRequest(), store_, "tenant-a", Now()).ok());
  EXPECT_EQ(cold.cached_signing_keys(), 0u);
}

TEST_F(SigV4VerifierTest, ConcurrentVerifyIsSafe) {
  const HttpRequest good_a = SignedRequest();
  const HttpRequest good_a2 = SignedRequest({.akid = kAkidA2, .secret = kSecretA2});
  const HttpRequest bad = SignedRequest({.secret = kSecretB});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!verifier_.Verify(good_a, store_, "tenant-a", Now()).ok()) ++failures;
        if (!verifier_.Verify(good_a2, store_, "tenant-a", Now()).ok()) ++failures;
        if (verifier_.Verify(bad, store_, "tenant-a", Now()).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace xks::auth
