// The conformance HTTP client's transport failures are Problems at the step that failed, and the
// runner reports them as "no response: <step>: <what> — <fix>".
#include "conformance/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "conformance/session.h"

namespace xks::conformance {
namespace {

// A loopback TCP socket bound to a free port. Connecting to it is refused until Listen(); the
// port stays taken while it lives, so no other test can start listening on it.
class LoopbackSocket {
 public:
  LoopbackSocket() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    auto* raw = reinterpret_cast<sockaddr*>(&addr);
    bound_ = fd_ && bind(fd_.get(), raw, len) == 0 && getsockname(fd_.get(), raw, &len) == 0;
    port_ = ntohs(addr.sin_port);
  }
  bool bound() const { return bound_; }
  int port() const { return port_; }
  bool Listen() { return listen(fd_.get(), 1) == 0; }
  UniqueFd Accept() { return UniqueFd(accept(fd_.get(), nullptr, nullptr)); }
  ConnectOptions Plain() const {
    ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.tls = false;
    o.timeout = std::chrono::milliseconds(2000);
    return o;
  }

 private:
  UniqueFd fd_;
  bool bound_ = false;
  int port_ = 0;
};

TEST(ConformanceHttpClient, ConnectToAClosedPortIsAConnectProblem) {
  LoopbackSocket closed;
  ASSERT_TRUE(closed.bound()) << std::strerror(errno);
  auto conn = HttpConnection::Open(closed.Plain());
  ASSERT_FALSE(conn.ok());
  const Problem& p = conn.error();
  EXPECT_EQ(p.path, "connect");
  EXPECT_EQ(p.problem, std::string(std::strerror(ECONNREFUSED)) +
                           " (127.0.0.1:" + std::to_string(closed.port()) + ")");
  EXPECT_NE(p.fix.find("--endpoint (XKS_ENDPOINT)"), std::string::npos) << p;
}

TEST(ConformanceHttpClient, SessionReportsTheConnectProblemAsNoResponse) {
  LoopbackSocket closed;
  ASSERT_TRUE(closed.bound()) << std::strerror(errno);
  Config config;
  config.host = "127.0.0.1";
  config.port = closed.port();
  config.tls = false;
  config.tenant = {"", "AKIAEXAMPLE", "secret", "k1"};
  Session session(config);
  Call call = session.Send(session.HealthPath(), "{}");
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.status(), 0);
  EXPECT_EQ(call.Describe(), "no response: " + call.transport_error->ToString());
  EXPECT_EQ(call.Describe().rfind("no response: connect: ", 0), 0u) << call.Describe();
}

TEST(ConformanceHttpClient, PeerClosingBeforeAResponseIsAReadProblem) {
  LoopbackSocket server;
  ASSERT_TRUE(server.bound() && server.Listen()) << std::strerror(errno);
  auto conn = HttpConnection::Open(server.Plain());
  ASSERT_TRUE(conn.ok()) << conn.error();
  UniqueFd accepted = server.Accept();
  ASSERT_TRUE(accepted) << std::strerror(errno);
  // The server reads on but sends nothing more: the client's write succeeds, its read sees EOF.
  ASSERT_EQ(shutdown(accepted.get(), SHUT_WR), 0) << std::strerror(errno);
  HttpRequest request;
  request.target = "/kms/xks/v1/health";
  auto response = (*conn)->RoundTrip(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().ToString(), "read: connection closed before a response");
}

}  // namespace
}  // namespace xks::conformance
