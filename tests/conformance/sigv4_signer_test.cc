// The runner's own SigV4 signer against the AWS reference vectors and the XKS-shaped curl capture.
#include "conformance/sigv4_signer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace xks::conformance {
namespace {

const std::string kRef = std::string(XKS_REFERENCE_DIR) + "/sigv4-testsuite/";

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Parses an aws-c-auth request.txt: request line, "Name:value" lines, blank line, body.
SigningInput ParseAwsCRequest(const std::string& text) {
  SigningInput in;
  std::istringstream s(text);
  std::string line;
  std::getline(s, line);
  in.method = line.substr(0, line.find(' '));
  in.path = line.substr(line.find(' ') + 1, line.rfind(' ') - line.find(' ') - 1);
  while (std::getline(s, line) && !line.empty()) {
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    in.headers.emplace_back(name, line.substr(colon + 1));
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    in.signed_headers.push_back(lower);
  }
  std::stringstream rest;
  rest << s.rdbuf();
  in.payload = rest.str();
  return in;
}

class AwsCAuthVectorTest : public ::testing::TestWithParam<const char*> {};

TEST_P(AwsCAuthVectorTest, MatchesCanonicalRequestStringToSignAndSignature) {
  const std::string dir = kRef + "aws-c-auth-v4/" + GetParam() + "/";
  SigningInput in = ParseAwsCRequest(ReadFile(dir + "request.txt"));
  ASSERT_FALSE(in.method.empty()) << "missing vector " << dir;
  const std::string date = "20150830T123600Z";
  in.headers.emplace_back("X-Amz-Date", date);
  in.signed_headers.push_back("x-amz-date");
  SigningKey key{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
  EXPECT_EQ(CanonicalRequest(in), ReadFile(dir + "header-canonical-request.txt"));
  EXPECT_EQ(StringToSign(in, key, date), ReadFile(dir + "header-string-to-sign.txt"));
  EXPECT_EQ(Signature(in, key, date), ReadFile(dir + "header-signature.txt"));
}

INSTANTIATE_TEST_SUITE_P(ConformanceSigV4, AwsCAuthVectorTest,
                         ::testing::Values("get-vanilla", "post-vanilla", "get-utf8",
                                           "get-unreserved", "get-header-key-duplicate",
                                           "get-header-value-order", "get-header-value-trim",
                                           "post-header-key-case", "post-header-key-sort",
                                           "post-header-value-case"));

TEST(ConformanceSigV4, XksCurlExampleSignatureAndHeader) {
  const std::string dir = kRef + "xks-curl-example/";
  SigningInput in;
  in.method = "POST";
  in.path = "/example/uri/path/prefix/kms/xks/v1/health";
  in.headers = {{"Host", "localhost:18089"},
                {"X-Amz-Date", "20261127T200213Z"},
                {"Content-Type", "application/json"}};
  in.signed_headers = {"content-type", "host", "x-amz-date"};
  in.payload = ReadFile(dir + "body.json");
  ASSERT_FALSE(in.payload.empty());
  SigningKey key{"BETWEEN2TENAND3TENCHARACTERS", "PleaseReplaceThisWithSomeSecretOfLength43To64",
                 "us-east-1", "kms-xks-proxy"};
  std::string expected_sig = ReadFile(dir + "signature.txt");
  while (!expected_sig.empty() && std::isspace(static_cast<unsigned char>(expected_sig.back()))) {
    expected_sig.pop_back();
  }
  EXPECT_EQ(CanonicalRequest(in), ReadFile(dir + "canonical-request.txt"));
  EXPECT_EQ(Signature(in, key, "20261127T200213Z"), expected_sig);
  // The Authorization header must equal the one curl put on the wire.
  const std::string wire = ReadFile(dir + "signed-request.http");
  EXPECT_NE(
      wire.find("Authorization: " + AuthorizationHeader(in, key, "20261127T200213Z") + "\r\n"),
      std::string::npos);
}

TEST(ConformanceSigV4, ChangingAnySignedInputChangesTheSignature) {
  SigningInput in{"POST",
                  "/p/kms/xks/v1/health",
                  "",
                  {{"Host", "h:1"}, {"X-Amz-Date", "20260101T000000Z"}},
                  {"host", "x-amz-date"},
                  "{}"};
  SigningKey key{"AKID", "secret", "us-east-1", "kms-xks-proxy"};
  const std::string base = Signature(in, key, "20260101T000000Z");
  SigningInput body = in;
  body.payload = "{ }";
  SigningInput path = in;
  path.path += "x";
  SigningKey other = key;
  other.region = "us-west-2";
  EXPECT_NE(Signature(body, key, "20260101T000000Z"), base);
  EXPECT_NE(Signature(path, key, "20260101T000000Z"), base);
  EXPECT_NE(Signature(in, other, "20260101T000000Z"), base);
  EXPECT_NE(Signature(in, key, "20260101T000001Z"), base);
}

TEST(ConformanceSigV4, AmzDateFormat) {
  EXPECT_EQ(AmzDate(std::chrono::system_clock::from_time_t(1440938160)), "20150830T123600Z");
}

}  // namespace
}  // namespace xks::conformance
