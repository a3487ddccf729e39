// The load-balancer check listener (health_listener.h): only the ping path, shallow or deep, and
// the real listener answering a plain-HTTP check.
#include "proxy/server/health_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace xks::server {
namespace {

HttpRequest CheckRequest(std::string method, std::string target) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

TEST(HealthCheckTest, ShallowAnswersOkOnThePingPathOnly) {
  const HttpResponse ok = HandleHealthCheck(CheckRequest("GET", "/ping"), "/ping", nullptr);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"status\":\"OK\"}");
  EXPECT_EQ(HandleHealthCheck(CheckRequest("GET", "/ping?lb=1"), "/ping", nullptr).status, 200);
  const HttpResponse head = HandleHealthCheck(CheckRequest("HEAD", "/ping"), "/ping", nullptr);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(HandleHealthCheck(CheckRequest("GET", "/"), "/ping", nullptr).status, 404);
  EXPECT_EQ(
      HandleHealthCheck(CheckRequest("POST", "/alpha/kms/xks/v1/health"), "/ping", nullptr).status,
      404);
  const HttpResponse post = HandleHealthCheck(CheckRequest("POST", "/ping"), "/ping", nullptr);
  EXPECT_EQ(post.status, 405);
}

TEST(HealthCheckTest, DeepAnswersUnavailableWhileTheProxyCannotServe) {
  bool can_serve = true;
  const std::function<bool()> deep = [&] { return can_serve; };
  EXPECT_EQ(HandleHealthCheck(CheckRequest("GET", "/lb"), "/lb", deep).status, 200);
  can_serve = false;
  const HttpResponse down = HandleHealthCheck(CheckRequest("GET", "/lb"), "/lb", deep);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body, "{\"status\":\"UNAVAILABLE\"}");
  EXPECT_EQ(HandleHealthCheck(CheckRequest("HEAD", "/lb"), "/lb", deep).status, 503);
}

// A raw HTTP/1.1 exchange on loopback; returns the status line.
std::string StatusLine(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) answer.assign(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

TEST(HealthListenerTest, APlainHttpCheckGetsItsAnswer) {
  std::atomic<bool> can_serve{true};
  HealthListenerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.ping_path = "/ping";
  options.can_serve = [&] { return can_serve.load(); };
  HealthListener listener(std::move(options));
  ASSERT_TRUE(listener.Start().ok());
  const std::string get = "GET /ping HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(StatusLine(listener.port(), get), "HTTP/1.1 200 OK");
  can_serve = false;
  EXPECT_EQ(StatusLine(listener.port(), get), "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(StatusLine(listener.port(), "GET /metrics HTTP/1.1\r\nHost: lb\r\n\r\n"),
            "HTTP/1.1 404 Not Found");
  listener.Shutdown(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace xks::server
