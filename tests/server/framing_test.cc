// HTTP/1.1 framing at the socket: request smuggling through Transfer-Encoding or Content-Length
// tricks, Host rules, Expect: 100-continue, and the documented /ping answer.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

class FramingTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    StartServer(Options(ec_server_), [this](const HttpRequest& request) {
      {
        std::lock_guard lock(mutex_);
        handled_.push_back(request.target);
      }
      return Echo(request);
    });
  }

  std::vector<std::string> Handled() {
    std::lock_guard lock(mutex_);
    return handled_;
  }

  // Sends `header` (ending in an empty line) and what follows it; expects one 400 answer, then
  // the server closing the connection, and no request reaching the handler.
  void ExpectRefusedAndClosed(const std::string& bytes, const std::string& message_part,
                              bool http10 = false) {
    auto client = Connect(Client());
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->Send(bytes));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response) << bytes;
    EXPECT_EQ(response->status, 400) << bytes;
    if (!http10) {  // HTTP/1.0: closing is implied, no header
      EXPECT_EQ(response->Header("Connection"), "close");
    }
    EXPECT_EQ(response->body.rfind(R"({"errorName":"ValidationException","errorMessage":")", 0), 0u)
        << response->body;
    EXPECT_NE(response->body.find(message_part), std::string::npos) << response->body;
    EXPECT_TRUE(client->PeerClosed()) << bytes;
    EXPECT_TRUE(Handled().empty()) << bytes << " reached the handler as " << Handled().front();
  }

  std::mutex mutex_;
  std::vector<std::string> handled_;
};

// The signed request a smuggler hides in the body of an unauthenticated one.
const std::string kSmuggled =
    "POST /kms/xks/v1/keys/k/encrypt HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";

TEST_F(FramingTest, TransferEncodingOtherThanChunkedIsRefusedAndNothingIsSmuggled) {
  for (const std::string coding :
       {"identity", "gzip", "xchunked", "chunked, identity", "gzip, chunked"}) {
    SCOPED_TRACE(coding);
    // Without Content-Length, Beast would read no body and take the hidden request as the next.
    ExpectRefusedAndClosed(
        "POST /outer HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + kSmuggled,
        "Transfer-Encoding");
    // With Content-Length, its framing would silently win.
    ExpectRefusedAndClosed("POST /outer HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + coding +
                               "\r\nContent-Length: " + std::to_string(kSmuggled.size()) +
                               "\r\n\r\n" + kSmuggled,
                           "Transfer-Encoding");
  }
  ExpectRefusedAndClosed("POST /outer HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                         "HTTP/1.0", /*http10=*/true);
  const auto rejections = Rejections();
  ASSERT_FALSE(rejections.empty());
  EXPECT_EQ(rejections.back().status, 400);
  EXPECT_EQ(rejections.back().target, "/outer");
  EXPECT_EQ(rejections.back().name, ErrorName::kValidation);
}

TEST_F(FramingTest, BadContentLengthIsRefused) {
  ExpectRefusedAndClosed(
      "POST /outer HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
      "Content-Length");
  ExpectRefusedAndClosed("POST /outer HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\n{}",
                         "Content-Length");
}

TEST_F(FramingTest, MissingOrDuplicateHostIsRefusedBeforeTheHandler) {
  ExpectRefusedAndClosed("POST /kms/xks/v1/keys/k/encrypt HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
                         "Host");
  ExpectRefusedAndClosed(
      "POST /kms/xks/v1/keys/k/encrypt HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: "
      "2\r\n\r\n{}",
      "Host");
}

TEST_F(FramingTest, ChunkedBodiesStillWorkAndPipelinedRequestsStayInOrder) {
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("POST /first HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                   "POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nf"
                   "GET /third HTTP/1.1\r\nHost: a\r\n\r\n"));
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/first", "abcde"}, {"/second", "f"}, {"/third", ""}}) {
    auto response = client->ReadResponse();
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("X-Target"), target);
    EXPECT_EQ(response->body, body);
  }
  EXPECT_EQ(Handled(), (std::vector<std::string>{"/first", "/second", "/third"}));
}

TEST_F(FramingTest, ExpectContinueGetsA100BeforeTheBodyIsSent) {
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(
      "POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto interim = client->ReadResponse();  // sent while the body is still withheld
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  EXPECT_TRUE(Handled().empty());
  ASSERT_TRUE(client->Send("hello"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  // The connection stays usable, and a client that sends its body at once gets no 100.
  auto eager = client->Request("POST", "/eager", "now", "Expect: 100-continue\r\n");
  ASSERT_TRUE(eager);
  EXPECT_EQ(eager->status, 200);
  EXPECT_EQ(eager->body, "now");
}

TEST_F(FramingTest, OversizedBodyWithExpectIsRefusedWithout100) {
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: "
                   "1000000\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  // Nothing of the body was sent, and the server does not wait for it.
  EXPECT_TRUE(client->PeerClosed());
  EXPECT_TRUE(Handled().empty());
}

TEST_F(FramingTest, UnknownExpectationIsRefusedWith417) {
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(
      "POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 5\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 417);
  EXPECT_NE(response->body.find("ValidationException"), std::string::npos);
  EXPECT_TRUE(client->PeerClosed());
  EXPECT_TRUE(Handled().empty());
}

TEST_F(FramingTest, CurlSendsItsBodyAfterThe100) {
  const std::string body_file = pki_.WriteFile("body.json", std::string(4096, 'x'));
  const std::string trace = pki_.dir() + "/curl.trace";
  // curl waits up to --expect100-timeout for the 100 before sending the body anyway; a server
  // that never answers makes --max-time fail the call first.
  int exit_status = -1;
  const std::string status = RunCurl(
      "--max-time 60 --expect100-timeout 600 -o /dev/null -w '%{http_code}' -v "
      "-H 'Expect: 100-continue' --data-binary @" +
          body_file + " --stderr " + trace,
      "/upload", &exit_status);
  EXPECT_EQ(exit_status, 0);
  EXPECT_EQ(status, "200");
  std::ifstream in(trace);
  std::stringstream verbose;
  verbose << in.rdbuf();
  EXPECT_NE(verbose.str().find("< HTTP/1.1 100 Continue"), std::string::npos) << verbose.str();
}

TEST_F(FramingTest, PingAnswersExactlyWhatTheConfigurationGuideDocuments) {
  std::ifstream in(std::string(XKS_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::string line, documented;
  while (std::getline(in, line)) {
    if (line.rfind("| `ping_path`", 0) != 0) continue;
    const std::string marker = "answers 200 `";
    const std::size_t start = line.find(marker);
    ASSERT_NE(start, std::string::npos) << line;
    const std::size_t end = line.find('`', start + marker.size());
    ASSERT_NE(end, std::string::npos) << line;
    documented = line.substr(start + marker.size(), end - start - marker.size());
  }
  ASSERT_FALSE(documented.empty()) << "no ping_path row in docs/configuration.md";
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto ping = client->Request("GET", "/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(ping->body, documented);
  EXPECT_EQ(ping->Header("Content-Type"), "application/json");
}

TEST_F(FramingTest, PingWithAQueryIsAnsweredByTheServerAlone) {
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto get = client->Request("GET", "/ping?probe=1");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, R"({"status":"OK"})");
  ASSERT_TRUE(client->Send("HEAD /ping?probe=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  auto head = client->ReadResponse(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_TRUE(Handled().empty()) << "a ping reached the handler as " << Handled().front();
}

}  // namespace
}  // namespace xks::server
