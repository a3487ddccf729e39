#include "tools/loadgen/request_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_signer.h"

namespace xks::loadgen {
namespace {

BodyParams Params() {
  BodyParams p;
  p.key_id = "k1";
  p.plaintext_b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  p.aad_b64 = "YWFk";
  p.tag = "w3";
  return p;
}

// Splits a built request into its header block and body.
std::pair<std::string, std::string> Split(const std::string& wire) {
  const auto end = wire.find("\r\n\r\n");
  return {wire.substr(0, end + 2), wire.substr(end + 4)};
}

std::string HeaderValue(const std::string& head, const std::string& name) {
  const auto at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto from = at + name.size() + 4;
  return head.substr(from, head.find("\r\n", from) - from);
}

TEST(RequestTemplateTest, SignatureMatchesTheProxysSigner) {
  const SecretBytes secret(std::string_view("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
  RequestTemplate t(Op::kEncrypt, OperationPath("/demo", Op::kEncrypt, "k1"), "127.0.0.1:8443",
                    EncryptBody(Params()));
  RequestSigner signer("AKIDEXAMPLE", secret, "eu-west-1");
  const auto now = std::chrono::system_clock::now();
  std::string wire;
  for (std::uint64_t n : {1u, 2u}) {  // the second request reuses the cached date and key
    signer.Build(t, n, now, wire);
    const auto [head, body] = Split(wire);
    EXPECT_TRUE(head.starts_with("POST /demo/kms/xks/v1/keys/k1/encrypt HTTP/1.1\r\n"));
    EXPECT_EQ(HeaderValue(head, "Content-Length"), std::to_string(body.size()));
    EXPECT_NE(body.find("\"kmsRequestId\":\"xks-loadgen-w3-000000000000000" + std::to_string(n)),
              std::string::npos)
        << body;
    auth::SigningInput in;
    in.method = "POST";
    in.target = t.target();
    in.headers = {{"Host", "127.0.0.1:8443"}, {"Content-Type", "application/json"}};
    in.body = body;
    in.access_key_id = "AKIDEXAMPLE";
    in.secret = secret.view();
    in.region = "eu-west-1";
    in.amz_date = auth::FormatAmzDate(now);
    const auto expected = auth::SignRequest(in);
    ASSERT_EQ(expected.size(), 2u);
    EXPECT_EQ(HeaderValue(head, "X-Amz-Date"), expected[0].value);
    EXPECT_EQ(HeaderValue(head, "Authorization"), expected[1].value);
  }
}

TEST(RequestTemplateTest, BodiesFollowTheSpec) {
  const auto enc = nlohmann::json::parse(EncryptBody(Params()));
  EXPECT_EQ(enc["encryptionAlgorithm"], "AES_GCM");
  EXPECT_EQ(enc["plaintext"], Params().plaintext_b64);
  EXPECT_EQ(enc["additionalAuthenticatedData"], "YWFk");
  EXPECT_TRUE(enc["requestMetadata"].contains("kmsKeyArn"));
  const auto md = nlohmann::json::parse(MetadataBody(Params()));
  EXPECT_EQ(md["requestMetadata"]["kmsOperation"], "DescribeKey");
  BodyParams no_aad = Params();
  no_aad.aad_b64.clear();
  EXPECT_FALSE(nlohmann::json::parse(EncryptBody(no_aad)).contains("additionalAuthenticatedData"));
  EXPECT_EQ(OperationPath("", Op::kHealth, "k"), "/kms/xks/v1/health");
  EXPECT_EQ(OperationPath("/t", Op::kMetadata, "k"), "/t/kms/xks/v1/keys/k/metadata");
}

TEST(RequestTemplateTest, DecryptBodyCopiesTheEncryptAnswer) {
  const std::string answer =
      R"({"ciphertext":"Y3Q=","initializationVector":"aXY=","authenticationTag":"dGFn",)"
      R"("ciphertextMetadata":"bWQ="})";
  const auto dec = nlohmann::json::parse(DecryptBody(Params(), answer));
  EXPECT_EQ(dec["ciphertext"], "Y3Q=");
  EXPECT_EQ(dec["initializationVector"], "aXY=");
  EXPECT_EQ(dec["authenticationTag"], "dGFn");
  EXPECT_EQ(dec["ciphertextMetadata"], "bWQ=");
  EXPECT_EQ(dec["additionalAuthenticatedData"], "YWFk");
  EXPECT_EQ(DecryptBody(Params(), R"({"ciphertext":"Y3Q="})"), "");
  EXPECT_EQ(DecryptBody(Params(), "not json"), "");
  const auto set = MakeTemplates(Params(), "/demo", "h", {answer, answer, "{}"});
  EXPECT_EQ(set[static_cast<std::size_t>(Op::kDecrypt)].size(), 2u);
  EXPECT_EQ(set[static_cast<std::size_t>(Op::kEncrypt)].size(), 1u);
}

}  // namespace
}  // namespace xks::loadgen
