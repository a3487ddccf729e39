#include "proxy/server/admin_listener.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/server/test_support.h"

namespace xks::server {
namespace {

using testing::ClientOptions;
using testing::KeyType;
using testing::TestClient;
using testing::TestPki;

HttpRequest Get(std::string target, std::string authorization = {}) {
  HttpRequest request;
  request.method = "GET";
  request.target = std::move(target);
  if (!authorization.empty()) request.headers.push_back({"Authorization", authorization});
  return request;
}

const MetricsRender kRender = [] { return std::string("m 1\n"); };

TEST(AdminRequestTest, ServesMetricsInTheTextFormat) {
  const HttpResponse r = HandleAdminRequest(Get("/metrics"), SecretBytes(), kRender);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m 1\n");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].value, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(HandleAdminRequest(Get("/metrics?x=1"), SecretBytes(), kRender).status, 200);
}

TEST(AdminRequestTest, EverythingElseIsRefused) {
  EXPECT_EQ(HandleAdminRequest(Get("/"), SecretBytes(), kRender).status, 404);
  EXPECT_EQ(HandleAdminRequest(Get("/metrics/"), SecretBytes(), kRender).status, 404);
  EXPECT_EQ(HandleAdminRequest(Get("/kms/xks/v1/health"), SecretBytes(), kRender).status, 404);
  HttpRequest post = Get("/metrics");
  post.method = "POST";
  EXPECT_EQ(HandleAdminRequest(post, SecretBytes(), kRender).status, 405);
}

TEST(AdminRequestTest, AConfiguredTokenIsRequired) {
  const SecretBytes token(std::string_view("s3cret-token"));
  EXPECT_EQ(HandleAdminRequest(Get("/metrics"), token, kRender).status, 401);
  EXPECT_EQ(HandleAdminRequest(Get("/metrics", "Bearer wrong"), token, kRender).status, 401);
  EXPECT_EQ(HandleAdminRequest(Get("/metrics", "Bearer s3cret-tokenX"), token, kRender).status,
            401);
  EXPECT_EQ(HandleAdminRequest(Get("/metrics", "Basic s3cret-token"), token, kRender).status, 401);
  EXPECT_EQ(HandleAdminRequest(Get("/metrics", "Bearer "), token, kRender).status, 401);
  const HttpResponse ok =
      HandleAdminRequest(Get("/metrics", "Bearer s3cret-token"), token, kRender);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "m 1\n");
  HttpRequest twice = Get("/metrics", "Bearer s3cret-token");
  twice.headers.push_back({"authorization", "Bearer s3cret-token"});
  EXPECT_EQ(HandleAdminRequest(twice, token, kRender).status, 401);
}

TEST(AdminListenerTest, ServesOverTlsWithAToken) {
  TestPki pki;
  const auto ca = pki.MakeCa("ca", KeyType::kEc);
  const auto leaf = pki.MakeLeaf("leaf", "admin", KeyType::kEc, &ca);
  AdminListenerOptions options;
  options.tls = TlsOptions{leaf.cert_file, leaf.key_file, "", {}};
  options.bearer_token = SecretBytes(std::string_view("tok"));
  int scrapes = 0;
  AdminListener listener(std::move(options), [&scrapes] {
    ++scrapes;
    return std::string("xks_up 1\n");
  });
  ASSERT_TRUE(listener.Start().ok());
  ClientOptions client;
  client.ca_file = ca.cert_file;
  auto c = TestClient::Connect(listener.port(), client);
  ASSERT_NE(c, nullptr);
  auto refused = c->Request("GET", "/metrics");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(scrapes, 0);
  auto served = c->Request("GET", "/metrics", "", "Authorization: Bearer tok\r\n");
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->status, 200);
  EXPECT_EQ(served->body, "xks_up 1\n");
  EXPECT_EQ(scrapes, 1);
  listener.Shutdown(std::chrono::milliseconds(0));
}

TEST(AdminListenerTest, PlainHttpOnLoopback) {
  AdminListener listener(AdminListenerOptions{}, [] { return std::string("a 2\n"); });
  ASSERT_TRUE(listener.Start().ok());
  ClientOptions client;
  client.tls = false;
  auto c = TestClient::Connect(listener.port(), client);
  ASSERT_NE(c, nullptr);
  auto r = c->Request("GET", "/metrics");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a 2\n");
  auto missing = c->Request("GET", "/other");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
}

TEST(ServerStatsTest, CountsHandshakesAndTheirFailures) {
  TestPki pki;
  const auto ca = pki.MakeCa("ca", KeyType::kEc);
  const auto leaf = pki.MakeLeaf("leaf", "server", KeyType::kEc, &ca);
  ServerOptions options;
  options.tls = TlsOptions{leaf.cert_file, leaf.key_file, "", {}};
  options.ping_path = "/ping";
  Server server(options, Handler([](const HttpRequest&) { return HttpResponse{}; }));
  ASSERT_TRUE(server.Start().ok());
  ClientOptions good;
  good.ca_file = ca.cert_file;
  {
    auto c = TestClient::Connect(server.port(), good);
    ASSERT_NE(c, nullptr);
    auto r = c->Request("GET", "/ping");  // the handshake has been counted before any answer
    ASSERT_TRUE(r.has_value());
  }
  ClientOptions weak = good;
  weak.groups = "ffdhe2048";  // a group the server refuses: the handshake fails
  weak.max_version = TLS1_2_VERSION;
  weak.cipher_list = "DHE-RSA-AES256-GCM-SHA384";
  EXPECT_EQ(TestClient::Connect(server.port(), weak), nullptr);
  server.Shutdown(std::chrono::milliseconds(0));
  const Server::Stats stats = server.stats();
  EXPECT_EQ(stats.handshakes, 1u);
  EXPECT_EQ(stats.handshake_failures, 1u);
}

}  // namespace
}  // namespace xks::server
