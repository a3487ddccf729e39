// ParseJsonBody: one JSON object and nothing else, so that every reader of a signed body sees the
// same request (issue 11 item 5).

#include "proxy/api/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "proxy/api/http_responses.h"

namespace xks::api {
namespace {

using namespace std::string_literals;

void ExpectRefused(const std::string& body, const char* why) {
  auto parsed = ParseJsonBody(body);
  ASSERT_FALSE(parsed.ok()) << why;
  EXPECT_EQ(parsed.error().name, ErrorName::kValidation) << why;
  EXPECT_EQ(HttpStatus(parsed.error().name), 400) << why;
}

TEST(ParseJsonBodyTest, AcceptsOneObjectWithSurroundingWhitespace) {
  auto parsed = ParseJsonBody(" \r\n{\"a\":{\"b\":[1,{\"c\":2}]},\"d\":\"\\u00e9\"}\n\t ");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ((*parsed)["a"]["b"][1]["c"], 2);
  EXPECT_EQ((*parsed)["d"], "\xc3\xa9");
}

TEST(ParseJsonBodyTest, BytesAfterTheDocumentAreRefused) {
  ExpectRefused("{\"a\":1}\0GARBAGE"s, "NUL then garbage");
  ExpectRefused("{\"a\":1}\0"s, "trailing NUL alone");
  ExpectRefused("{\"a\":1}GARBAGE", "garbage");
  ExpectRefused("{\"a\":1}{\"a\":2}", "a second document");
  ExpectRefused("{\"a\":1} 1", "a second value");
}

TEST(ParseJsonBodyTest, NulBytesAnywhereAreRefused) {
  ExpectRefused("\0{\"a\":1}"s, "leading NUL");
  ExpectRefused("{\"a\":\"x\0y\"}"s, "NUL inside a string");
  ExpectRefused("{\"a\"\0:1}"s, "NUL between tokens");
  // The escaped form is a legitimate string value.
  auto parsed = ParseJsonBody("{\"a\":\"x\\u0000y\"}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)["a"].get<std::string>(), "x\0y"s);
}

TEST(ParseJsonBodyTest, DuplicateKeysAreRefusedAtAnyDepth) {
  ExpectRefused(R"({"plaintext":"AA==","plaintext":"AQ=="})", "top level");
  ExpectRefused(R"({"requestMetadata":{"kmsRequestId":"a","kmsRequestId":"b"}})",
                "inside requestMetadata");
  ExpectRefused(R"({"x":[{"k":1},{"k":2,"k":3}]})", "inside an array element");
  ExpectRefused(R"({"a":1,"\u0061":2})", "same key after unescaping");
  ExpectRefused(R"({"a":{"b":{"c":{"d":1,"d":1}}}})", "deep, even with equal values");
}

TEST(ParseJsonBodyTest, EqualKeysInDifferentObjectsAreFine) {
  auto parsed = ParseJsonBody(R"({"k":{"k":{"k":1}},"j":[{"k":1},{"k":2}],"m":{"k":3}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ((*parsed)["m"]["k"], 3);
}

TEST(ParseJsonBodyTest, InvalidUtf8IsRefused) {
  ExpectRefused("{\"a\":\"\xff\"}", "0xff in a string");
  ExpectRefused("{\"a\":\"\xc3\"}", "truncated sequence");
  ExpectRefused("{\"a\":\"\xc0\xaf\"}", "overlong encoding");
  ExpectRefused("{\"a\":\"\xed\xa0\x80\"}", "encoded surrogate");
  ExpectRefused("{\"a\":\"\\ud800\"}", "unpaired escaped surrogate");
  ExpectRefused("{\"\xfe\":1}", "invalid key");
}

TEST(ParseJsonBodyTest, OtherMalformedBodiesAreRefused) {
  ExpectRefused("", "empty");
  ExpectRefused("[]", "not an object");
  ExpectRefused("{\"a\":\"\x01\"}", "raw control character in a string");
  ExpectRefused(std::string(33, '[') + std::string(33, ']'), "too deep");
  ExpectRefused("{\"a\":1,}", "trailing comma");
}

TEST(ParseJsonBodyTest, ErrorsNeverEchoTheBody) {
  auto parsed = ParseJsonBody(R"({"plaintext":"c2VjcmV0","plaintext":"c2VjcmV0"})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message.find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(parsed.error().message.find("plaintext"), std::string::npos);
}

// Issue 16: the parsed body's plaintext and AAD are zeroed in place (the storage they occupied
// holds nothing of them afterwards); other fields stay.
TEST(WipeSecretFieldsTest, ZeroesPlaintextAndAadInPlace) {
  const std::string long_b64(400, 'Q');
  auto parsed =
      ParseJsonBody(R"({"plaintext":")" + long_b64 + R"(","additionalAuthenticatedData":")" +
                    long_b64 + R"(","encryptionAlgorithm":"AES_GCM"})");
  ASSERT_TRUE(parsed.ok());
  nlohmann::json body = std::move(parsed).value();
  std::string& plaintext = body["plaintext"].get_ref<std::string&>();
  const char* storage = plaintext.data();
  const std::size_t capacity = plaintext.capacity();
  WipeSecretFields(body);
  EXPECT_EQ(body["plaintext"], "");
  EXPECT_EQ(body["additionalAuthenticatedData"], "");
  EXPECT_EQ(body["encryptionAlgorithm"], "AES_GCM");
  EXPECT_EQ(body["plaintext"].get_ref<std::string&>().data(), storage) << "wiped in place";
  EXPECT_TRUE(std::all_of(storage, storage + capacity, [](char c) { return c == '\0'; }));
  nlohmann::json odd = {{"plaintext", 7}};
  WipeSecretFields(odd);  // not a string: left alone
  EXPECT_EQ(odd["plaintext"], 7);
}

TEST(PlaintextResponseTest, IsTheDecryptAnswerMarkedSensitive) {
  const std::uint8_t plaintext[] = {'h', 'e', 'l', 'l', 'o'};
  HttpResponse r = PlaintextResponse(plaintext);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.sensitive_body);
  EXPECT_EQ(r.body, R"({"plaintext":"aGVsbG8="})");
  EXPECT_EQ(nlohmann::json::parse(r.body)["plaintext"], "aGVsbG8=");
  const std::vector<std::uint8_t> longer(100, 'p');
  HttpResponse big = PlaintextResponse(longer);
  EXPECT_EQ(big.body.capacity(), big.body.size()) << "one allocation of the final size";
}

}  // namespace
}  // namespace xks::api
