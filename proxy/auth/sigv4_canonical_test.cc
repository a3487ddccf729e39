#include "proxy/auth/sigv4_canonical.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/auth/authorization_header.h"
#include "proxy/auth/credential_store.h"
#include "proxy/auth/signing_key_cache.h"

namespace xks::auth {
namespace {

// SHA-256, HMAC-SHA256 and hex (known answers, empty HMAC key, case rules) are pinned by
// base/sha256_test.cc and base/hex_test.cc.

TEST(SigV4Canonical, UriEncoding) {
  EXPECT_EQ(UriEncode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b/c", false), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", true), "%E1%88%B4");
  EXPECT_EQ(UriEncode("$%+=", true), "%24%25%2B%3D");
  EXPECT_EQ(UriDecode("a%20b%2fc%zz%4"), "a b/c%zz%4");
  EXPECT_EQ(UriDecode("a+b"), "a+b");
}

TEST(SigV4Canonical, PathNormalisation) {
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath("//example//"), "/example/");
  EXPECT_EQ(NormalizePath("/./"), "/");
  EXPECT_EQ(NormalizePath("/example/.."), "/");
  EXPECT_EQ(NormalizePath("/example1/example2/../.."), "/");
  EXPECT_EQ(NormalizePath("/../../a"), "/a");
  EXPECT_EQ(NormalizePath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(NormalizePath("/p/kms/xks/v1/keys/k.1/encrypt"), "/p/kms/xks/v1/keys/k.1/encrypt");
}

TEST(SigV4Canonical, CanonicalUriEncodesTheWireFormOnceMore) {
  // AWS non-S3 rule (botocore, aws-c-auth): the on-the-wire path is encoded again.
  EXPECT_EQ(CanonicalUri("/example space/"), "/example%20space/");
  EXPECT_EQ(CanonicalUri("/example%20space/"), "/example%2520space/");
  EXPECT_EQ(CanonicalUri("//a//b"), "/a/b");
  EXPECT_EQ(CanonicalUri("//a//b", /*normalize=*/false), "//a//b");
  EXPECT_EQ(CanonicalUri(""), "/");
}

TEST(SigV4Canonical, QueryString) {
  EXPECT_EQ(CanonicalQueryString(""), "");
  EXPECT_EQ(CanonicalQueryString("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(CanonicalQueryString("Param1"), "Param1=");
  EXPECT_EQ(CanonicalQueryString("k=a%20b&k2=a b"), "k=a%20b&k2=a%20b");
}

TEST(SigV4Canonical, HeaderValues) {
  EXPECT_EQ(CanonicalHeaderValue("  a   b \t c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue("value1\n  value2\n     value3"), "value1 value2 value3");
  EXPECT_EQ(CanonicalHeaderValue("\"a  b\""), "\"a b\"");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
}

TEST(SigV4Canonical, CanonicalRequestJoinsDuplicatesInArrivalOrder) {
  const std::vector<HttpHeader> headers = {
      {"Host", "h"}, {"My-H", " b "}, {"my-h", "a"}, {"X-Amz-Date", "20150830T123600Z"}};
  EXPECT_EQ(CanonicalRequest("GET", "/?x=1", headers, {"host", "my-h", "x-amz-date"}, "PH"),
            "GET\n/\nx=1\nhost:h\nmy-h:b,a\nx-amz-date:20150830T123600Z\n\n"
            "host;my-h;x-amz-date\nPH");
}

TEST(SigV4Canonical, AmzDateParsingAndFormatting) {
  const auto t = ParseAmzDate("20150830T123600Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->time_since_epoch().count(), 1440938160);
  EXPECT_EQ(FormatAmzDate(*t), "20150830T123600Z");
  EXPECT_TRUE(ParseAmzDate("20240229T235959Z"));
  for (const char* bad :
       {"20230229T000000Z", "20151330T000000Z", "20150830T240000Z", "20150830T126000Z",
        "20150830T123660Z", "20150830 123600Z", "20150830T123600", "2015083T123600Z",
        "20150830T123600z", "2015-08-30T12:36:00Z", "+0150830T123600Z", ""}) {
    EXPECT_FALSE(ParseAmzDate(bad)) << bad;
  }
}

TEST(SigV4Canonical, SigningKeyKnownAnswer) {
  // The AWS General Reference's key-derivation example (service "iam").
  const SecretBytes key =
      DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
  EXPECT_EQ(HexEncode(key.span()),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4AuthorizationHeader, ParsesKmsShape) {
  auto parsed = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AKIAAAAAAAAAAAAAAAA2/20261127/eu-west-1/kms-xks-proxy/"
      "aws4_request, SignedHeaders=host;x-amz-date, "
      "Signature=1164eaa8e79eacaa9c0df54aa42f3b300380d14bedfc08e3b319648d4abfff66");
  ASSERT_TRUE(parsed.ok()) << parsed.error().log_detail;
  EXPECT_EQ(parsed->access_key_id, "AKIAAAAAAAAAAAAAAAA2");
  EXPECT_EQ(parsed->date, "20261127");
  EXPECT_EQ(parsed->region, "eu-west-1");
  EXPECT_EQ(parsed->service, "kms-xks-proxy");
  EXPECT_EQ(parsed->terminator, "aws4_request");
  EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(parsed->signature_hex,
            "1164eaa8e79eacaa9c0df54aa42f3b300380d14bedfc08e3b319648d4abfff66");
}

TEST(SigV4AuthorizationHeader, ComponentOrderIsFreeAndReasonsNeverEchoTheSignature) {
  const std::string sig(64, 'a');
  EXPECT_TRUE(ParseAuthorization("AWS4-HMAC-SHA256 Signature=" + sig +
                                 ",SignedHeaders=host;x-amz-date,Credential=A/20260101/r/s/"
                                 "aws4_request")
                  .ok());
  auto bad = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=A/20260101/r/s/aws4_request, "
      "SignedHeaders=host, Signature=" +
      sig + "Z");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().log_detail,
            "sigv4 malformed_authorization: malformed Authorization: Signature is not 64 "
            "lowercase hex digits");
  EXPECT_EQ(bad.error().log_detail.find(sig), std::string::npos);
  EXPECT_EQ(bad.error().message.find(sig), std::string::npos);
  EXPECT_FALSE(ParseAuthorization(std::string(5000, 'A')).ok());
}

TEST(SigV4CredentialStore, FindSizeAndGeneration) {
  std::vector<Credential> creds;
  creds.push_back({"AKIAAAAAAAAAAAAAAAA2", SecretBytes(std::string_view("s1")), "t1"});
  creds.push_back({"AKIAAAAAAAAAAAAAAAA3", SecretBytes(std::string_view("s2")), "t1"});
  const CredentialStore store(std::move(creds));
  EXPECT_EQ(store.size(), 2u);
  const Credential* c = store.Find("AKIAAAAAAAAAAAAAAAA3");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->secret.view(), "s2");
  EXPECT_EQ(c->tenant, "t1");
  EXPECT_EQ(store.Find("akiaaaaaaaaaaaaaaaa3"), nullptr);
  EXPECT_EQ(store.Find(""), nullptr);
  const CredentialStore other({});
  EXPECT_EQ(other.size(), 0u);
  EXPECT_NE(store.generation(), other.generation());
}

TEST(SigV4CredentialStore, FormatValidation) {
  EXPECT_TRUE(IsValidAccessKeyId("BETWEEN2TENAND3TENCHARACTERS"));
  EXPECT_TRUE(IsValidAccessKeyId(std::string(20, 'A')));
  EXPECT_TRUE(IsValidAccessKeyId(std::string(30, '7')));
  EXPECT_FALSE(IsValidAccessKeyId(std::string(19, 'A')));
  EXPECT_FALSE(IsValidAccessKeyId(std::string(31, 'A')));
  EXPECT_FALSE(IsValidAccessKeyId("AKIAAAAAAAAAAAAAAAA1"));  // '1' is not base32
  EXPECT_FALSE(IsValidAccessKeyId("AKIAAAAAAAAAAAAAAAA8"));
  EXPECT_FALSE(IsValidAccessKeyId("akiaaaaaaaaaaaaaaaa2"));
  EXPECT_TRUE(IsValidSecretAccessKey("PleaseReplaceThisWithSomeSecretOfLength43To64"));
  EXPECT_TRUE(IsValidSecretAccessKey(std::string(43, '+')));
  EXPECT_TRUE(IsValidSecretAccessKey(std::string(64, '=')));
  EXPECT_FALSE(IsValidSecretAccessKey(std::string(42, 'a')));
  EXPECT_FALSE(IsValidSecretAccessKey(std::string(65, 'a')));
  EXPECT_FALSE(IsValidSecretAccessKey(std::string(42, 'a') + "-"));
}

TEST(SigV4SigningKeyCache, FifoEvictionAndDisable) {
  SigningKeyCache cache(2);
  const SecretBytes k1(std::string_view("key-one")), k2(std::string_view("key-two")),
      k3(std::string_view("key-three"));
  const std::string a = SigningKeyCache::MakeKey(1, "AK", "20260101", "r", "s");
  const std::string b = SigningKeyCache::MakeKey(2, "AK", "20260101", "r", "s");
  const std::string c = SigningKeyCache::MakeKey(1, "AK", "20260102", "r", "s");
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  cache.Insert(a, k1);
  cache.Insert(b, k2);
  ASSERT_TRUE(cache.Lookup(a));
  EXPECT_EQ(cache.Lookup(a)->view(), "key-one");
  cache.Insert(c, k3);  // evicts a, the oldest
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Lookup(a));
  EXPECT_EQ(cache.Lookup(b)->view(), "key-two");
  EXPECT_EQ(cache.Lookup(c)->view(), "key-three");
  cache.Insert(c, k1);  // present: unchanged
  EXPECT_EQ(cache.Lookup(c)->view(), "key-three");

  SigningKeyCache off(0);
  off.Insert(a, k1);
  EXPECT_EQ(off.size(), 0u);
  EXPECT_FALSE(off.Lookup(a));
}

}  // namespace
}  // namespace xks::auth
