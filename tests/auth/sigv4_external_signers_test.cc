// Requests signed by independent SigV4 implementations must verify: Debian's curl
// (`--aws-sigv4`, as the spec's own test instructions use) and python3-botocore's SigV4Auth (the
// signer of the AWS SDKs). curl's request is captured by a loopback listener in this process;
// botocore's headers are printed as JSON. The verifier's clock is the request's own X-Amz-Date
// (plus a few seconds), so the test does not depend on this machine's clock.
// A test is skipped only when the tool is not installed.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "proxy/auth/credential_store.h"
#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_verifier.h"
#include "tests/auth/raw_request.h"

namespace xks::auth {
namespace {

constexpr std::string_view kAkid = "BETWEEN2TENAND3TENCHARACTERS";
constexpr std::string_view kSecret = "PleaseReplaceThisWithSomeSecretOfLength43To64";
constexpr std::string_view kTenant = "tenant-1";
constexpr std::string_view kPath = "/example/uri/path/prefix/kms/xks/v1/keys/key-01/encrypt";
constexpr std::string_view kBody =
    "{\n  \"requestMetadata\": {\n    \"awsPrincipalArn\": "
    "\"arn:aws:iam::123456789012:user/Alice\",\n"
    "    \"kmsOperation\": \"Encrypt\",\n    \"kmsRequestId\": \"4112f4d6-db54-4af4-ae30\"\n  },\n"
    "  \"plaintext\": \"SGVsbG8gV29ybGQh\",\n  \"encryptionAlgorithm\": \"AES_GCM\"\n}\n";

bool HaveCommand(const std::string& check) {
  return std::system((check + " >/dev/null 2>&1").c_str()) == 0;
}

std::string RunAndCapture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  pclose(pipe);
  return out;
}

std::string TempDir() {
  std::string dir = ::testing::TempDir() + "xks_auth_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return {};
  return dir;
}

CredentialStore Store() {
  std::vector<Credential> creds;
  creds.push_back({std::string(kAkid), SecretBytes(kSecret), std::string(kTenant)});
  return CredentialStore(std::move(creds));
}

std::chrono::system_clock::time_point SignedAt(const HttpRequest& request) {
  const auto date = request.Header("x-amz-date");
  if (!date) return {};
  const auto t = ParseAmzDate(*date);
  return t ? *t + std::chrono::seconds(3) : std::chrono::system_clock::time_point{};
}

// One-shot loopback HTTP listener: accepts a single connection, reads one request (headers plus
// Content-Length body), answers 200 and records the raw bytes.
class CaptureServer {
 public:
  CaptureServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 1) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CaptureServer() {
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }
  // Waits for the request (the serving thread ends once it has answered or given up).
  std::string Take() {
    if (thread_.joinable()) thread_.join();
    return raw_;
  }

 private:
  void Serve() {
    // A safety net so a broken curl cannot hang the suite; not a timing assertion.
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, 60000) != 1) return;
    const int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) return;
    std::array<char, 4096> buf{};
    while (true) {
      const std::size_t header_end = raw_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const HttpRequest partial = testing::ParseRawRequest(raw_.substr(0, header_end + 2));
        const auto cl = partial.Header("content-length");
        const std::size_t want = header_end + 4 + (cl ? std::stoul(std::string(*cl)) : 0);
        if (raw_.size() >= want) break;
      }
      pollfd cfd{conn, POLLIN, 0};
      if (poll(&cfd, 1, 60000) != 1) break;
      const ssize_t n = read(conn, buf.data(), buf.size());
      if (n <= 0) break;
      raw_.append(buf.data(), static_cast<std::size_t>(n));
    }
    const std::string_view reply =
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!write(conn, reply.data(), reply.size());
    close(conn);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string raw_;
};

TEST(SigV4ExternalSigners, CurlAwsSigV4Verifies) {
  if (!HaveCommand("curl --version")) GTEST_SKIP() << "curl is not installed";
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  { std::ofstream(dir + "/body.json", std::ios::binary) << kBody; }
  CaptureServer server;
  ASSERT_NE(server.port(), 0);
  const std::string command =
      "curl -s -o /dev/null --noproxy '*' --max-time 60 --aws-sigv4 "
      "'aws:amz:us-east-1:kms-xks-proxy' --user '" +
      std::string(kAkid) + ":" + std::string(kSecret) +
      "' -H 'Content-Type:application/json' --data-binary @" + dir +
      "/body.json http://127.0.0.1:" + std::to_string(server.port()) + std::string(kPath);
  const int rc = std::system(command.c_str());
  const std::string raw = server.Take();
  std::filesystem::remove_all(dir);
  ASSERT_EQ(rc, 0) << "curl failed";
  ASSERT_FALSE(raw.empty());

  const HttpRequest request = testing::ParseRawRequest(raw);
  EXPECT_EQ(request.target, kPath);
  EXPECT_EQ(request.body, kBody);
  const CredentialStore store = Store();
  const SigV4Verifier verifier;
  auto result = verifier.Verify(request, store, kTenant, SignedAt(request));
  ASSERT_TRUE(result.ok()) << result.error().log_detail << "\n" << raw;
  EXPECT_EQ(result->access_key_id, kAkid);
  EXPECT_EQ(result->region, "us-east-1");

  HttpRequest tampered = request;
  tampered.body.replace(tampered.body.find("Encrypt"), 7, "Decrypt");
  EXPECT_FALSE(verifier.Verify(tampered, store, kTenant, SignedAt(request)).ok());
}

// botocore's SigV4Auth; `extra_headers` is a Python dict literal added before signing.
std::string BotocoreSign(const std::string& url, const std::string& extra_headers) {
  const std::string dir = TempDir();
  if (dir.empty()) return {};
  {
    std::ofstream(dir + "/body.json", std::ios::binary) << kBody;
    std::ofstream(dir + "/sign.py") << R"PY(import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, body_path, akid, secret = sys.argv[1:5]
with open(body_path, "rb") as f:
    body = f.read()
headers = {"Content-Type": "application/json"}
headers.update()PY" << extra_headers << R"PY()
request = AWSRequest(method="POST", url=url, data=body, headers=headers)
SigV4Auth(Credentials(akid, secret), "kms-xks-proxy", "eu-west-1").add_auth(request)
print(json.dumps(dict(request.headers.items())))
)PY";
  }
  const std::string out =
      RunAndCapture("python3 " + dir + "/sign.py '" + url + "' " + dir + "/body.json " +
                    std::string(kAkid) + " " + std::string(kSecret));
  std::filesystem::remove_all(dir);
  return out;
}

HttpRequest BotocoreRequest(const std::string& path, const std::string& extra_headers) {
  HttpRequest request;
  request.method = "POST";
  request.target = path;
  request.body = std::string(kBody);
  // The HTTP layer (urllib3) sends Host from the URL; botocore signs that same value.
  request.headers.push_back({"Host", "xks.example.com"});
  const std::string json = BotocoreSign("https://xks.example.com" + path, extra_headers);
  EXPECT_FALSE(json.empty());
  if (json.empty()) return request;
  const nlohmann::json headers = nlohmann::json::parse(json);
  for (const auto& [name, value] : headers.items()) {
    request.headers.push_back({name, value.get<std::string>()});
  }
  return request;
}

class SigV4ExternalSignersBotocore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveCommand("python3 -c 'import botocore.auth'")) {
      GTEST_SKIP() << "python3-botocore is not installed";
    }
  }
  CredentialStore store_ = Store();
  SigV4Verifier verifier_;
};

TEST_F(SigV4ExternalSignersBotocore, SigV4AuthVerifies) {
  const HttpRequest request = BotocoreRequest(std::string(kPath), "{}");
  EXPECT_THAT(std::string(request.Header("authorization").value_or("")),
              ::testing::HasSubstr("SignedHeaders=content-type;host;x-amz-date"));
  auto result = verifier_.Verify(request, store_, kTenant, SignedAt(request));
  ASSERT_TRUE(result.ok()) << result.error().log_detail;
  EXPECT_EQ(result->region, "eu-west-1");
  HttpRequest tampered = request;
  tampered.body.push_back(' ');
  EXPECT_FALSE(verifier_.Verify(tampered, store_, kTenant, SignedAt(request)).ok());
}

TEST_F(SigV4ExternalSignersBotocore, SignedContentSha256Verifies) {
  const std::string hash = Sha256Hex(kBody);
  const HttpRequest request =
      BotocoreRequest(std::string(kPath), "{'X-Amz-Content-SHA256': '" + hash + "'}");
  EXPECT_THAT(std::string(request.Header("authorization").value_or("")),
              ::testing::HasSubstr("x-amz-content-sha256"));
  auto result = verifier_.Verify(request, store_, kTenant, SignedAt(request));
  EXPECT_TRUE(result.ok()) << result.error().log_detail;
}

TEST_F(SigV4ExternalSignersBotocore, UnsignedPayloadIsRefused) {
  // botocore puts the header value on the payload line, so this signature is valid for botocore
  // but covers no body. We refuse it.
  const HttpRequest request =
      BotocoreRequest(std::string(kPath), "{'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD'}");
  auto result = verifier_.Verify(request, store_, kTenant, SignedAt(request));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().log_detail, ::testing::HasSubstr("X-Amz-Content-SHA256"));
}

TEST_F(SigV4ExternalSignersBotocore, PercentEncodedPathIsEncodedAgain) {
  // Settles the non-S3 "double encoding" question empirically: botocore signs a wire path
  // containing %20 as %2520, and so must we.
  const std::string path = "/pre%20fix/kms/xks/v1/keys/key-01/encrypt";
  const HttpRequest request = BotocoreRequest(path, "{}");
  auto result = verifier_.Verify(request, store_, kTenant, SignedAt(request));
  EXPECT_TRUE(result.ok()) << result.error().log_detail;
}

}  // namespace
}  // namespace xks::auth
