// Connection slots cannot be held without credentials: the shorter idle limit before the first
// authenticated response, the per-address cap, eviction of idle anonymous connections when the
// server is full, and the cap on TLS handshakes in progress. Small caps; no timing decides an
// outcome (see each test for the event it waits on).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

const std::string kAuthenticate = "X-Test-Authenticated: 1\r\n";

ClientOptions Plain() {
  ClientOptions options;
  options.tls = false;
  return options;
}

// The two eviction scenarios share their steps: anonymous connections fill the slots, then a
// valid client gets in and the oldest anonymous connection goes.
class EvictionTest : public ServerTest {
 protected:
  // A connection that answered a ping (so it is past its handshake) and is idle again.
  std::unique_ptr<TestClient> IdleAnonymous() {
    auto client = Connect(Client());
    if (client && !client->Request("GET", "/ping")) ADD_FAILURE() << "ping failed";
    return client;
  }
  std::unique_ptr<TestClient> ExpectValidClientGetsInAndClosesTheOldest(TestClient& oldest) {
    auto valid = Connect(Client());
    EXPECT_TRUE(valid);
    if (!valid) return valid;
    auto answer = valid->Request("POST", "/auth", "", kAuthenticate);
    EXPECT_TRUE(answer && answer->status == 200);
    EXPECT_TRUE(oldest.PeerClosed());
    EXPECT_EQ(server_->stats().connections_evicted, 1u);
    return valid;
  }
};

TEST_F(ServerTest, UnauthenticatedConnectionsGetTheShortIdleLimitUntilAnAuthenticatedAnswer) {
  ServerOptions options = Options(ec_server_);
  options.idle_timeout = std::chrono::minutes(10);
  // Long enough that each client below sends its first request before it runs out on a busy
  // machine; the silent ones still wait it out.
  options.unauthenticated_idle_timeout = std::chrono::milliseconds(1500);
  StartServer(options);

  auto trusted = Connect(Client());
  ASSERT_TRUE(trusted);
  auto first = trusted->Request("POST", "/auth", "", kAuthenticate);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Header("X-Connection-Authenticated"), "0") << "not before the answer";

  // Opened after `trusted` went idle, so their short limit ends after trusted's would have.
  auto silent = Connect(Client());
  auto pinging = Connect(Client());
  ASSERT_TRUE(silent && pinging);
  ASSERT_TRUE(pinging->Request("GET", "/ping"));  // pings never count as authenticated
  auto anonymous = Connect(Client());
  ASSERT_TRUE(anonymous);
  auto refused = anonymous->Request("POST", "/x", "");  // answered, but not authenticated
  ASSERT_TRUE(refused);
  EXPECT_TRUE(silent->PeerClosed());
  EXPECT_TRUE(pinging->PeerClosed());
  EXPECT_TRUE(anonymous->PeerClosed());

  // More than the short limit has passed since trusted's last answer: it is still open, and its
  // requests now carry the flag.
  auto later = trusted->Request("POST", "/later", "");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
  EXPECT_EQ(later->Header("X-Connection-Authenticated"), "1");
}

TEST_F(ServerTest, ConnectionsPerAddressAreCapped) {
  ServerOptions options = Options(ec_server_);
  options.max_connections_per_address = 2;
  StartServer(options);
  auto first = Connect(Client());
  auto second = Connect(Client());
  ASSERT_TRUE(first && second);
  // Authenticated connections are never closed to make room, so the cap refuses the newcomer.
  ASSERT_TRUE(first->Request("POST", "/auth", "", kAuthenticate));
  ASSERT_TRUE(second->Request("POST", "/auth", "", kAuthenticate));
  // Each connection comes from another port of 127.0.0.1: the cap is per address.
  EXPECT_FALSE(TestClient::Connect(server_->port(), Client()));
  EXPECT_EQ(server_->stats().connections_refused, 1u);
  ASSERT_TRUE(first->Request("GET", "/ping"));
  first.reset();
  AwaitStats([](const Server::Stats& stats) { return stats.connections_open == 1; });
  auto third = Connect(Client());
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->Request("GET", "/ping"));
  EXPECT_EQ(server_->stats().connections_evicted, 0u);
}

TEST_F(EvictionTest, AFullAddressClosesItsOldestAnonymousConnectionForANewcomerFromIt) {
  ServerOptions options = Options(ec_server_);
  options.max_connections_per_address = 2;
  StartServer(options);
  // An attacker sharing the valid client's address (NAT, egress proxy) holds its slots.
  auto older = IdleAnonymous();
  auto newer = IdleAnonymous();
  ASSERT_TRUE(older && newer);
  ExpectValidClientGetsInAndClosesTheOldest(*older);
  EXPECT_EQ(server_->stats().connections_refused, 0u);
  EXPECT_TRUE(newer->Request("GET", "/ping"));
}

// The drain after a refusal is a courtesy (so the client reads our answer before a reset); it
// must not let a client that trickles its refused body hold the slot for read_timeout per byte.
TEST_F(ServerTest, ARefusedClientTricklingItsBodyIsClosedByTheDrainDeadline) {
  ServerOptions options = Options(ec_server_);
  options.insecure = true;
  options.max_body_bytes = 1024;
  options.read_timeout = std::chrono::minutes(1);
  StartServer(options);
  auto client = Connect(Plain());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"));
  auto refused = client->ReadResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);

  const auto start = std::chrono::steady_clock::now();
  const auto give_up = start + std::chrono::seconds(20);
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() < give_up) {
    closed = !client->Send("x");  // fails once the server has closed (EPIPE / reset)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(closed) << "still draining a trickled body after 20 s";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(12))
      << "the drain deadline is 2 s, far below read_timeout";
  AwaitStats([](const Server::Stats& stats) { return stats.connections_open == 0; });
}

TEST_F(EvictionTest, FullServerClosesTheOldestIdleAnonymousConnectionForANewcomer) {
  ServerOptions options = Options(ec_server_);
  options.max_connections = 3;
  StartServer(options);
  auto trusted = Connect(Client());
  ASSERT_TRUE(trusted);
  ASSERT_TRUE(trusted->Request("POST", "/auth", "", kAuthenticate));
  auto older = IdleAnonymous();  // never authenticated
  auto newer = IdleAnonymous();
  ASSERT_TRUE(older && newer);

  // The server is full. A valid client still gets in; the oldest anonymous connection goes.
  auto valid = ExpectValidClientGetsInAndClosesTheOldest(*older);
  ASSERT_TRUE(valid);
  ASSERT_TRUE(trusted->Request("GET", "/ping"));
  ASSERT_TRUE(newer->Request("GET", "/ping"));

  // Once `newer` has authenticated too, nothing can be closed: the next newcomer is refused.
  ASSERT_TRUE(newer->Request("POST", "/auth", "", kAuthenticate));
  AwaitStats([](const Server::Stats& stats) { return stats.connections_open == 3; });
  EXPECT_FALSE(TestClient::Connect(server_->port(), Client()));
  EXPECT_EQ(server_->stats().connections_refused, 1u);
  EXPECT_TRUE(valid->Request("GET", "/ping"));
}

TEST_F(ServerTest, AConnectionInTheMiddleOfARequestIsNotEvicted) {
  Gate gate;
  ServerOptions options = Options(ec_server_);
  options.max_connections = 1;
  StartServer(options, [&](const HttpRequest& request) {
    gate.Wait();
    return Echo(request);
  });
  auto busy = Connect(Client());
  ASSERT_TRUE(busy);
  ASSERT_TRUE(busy->Send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
  gate.AwaitWaiting(1);
  EXPECT_FALSE(TestClient::Connect(server_->port(), Client()));
  gate.Open();
  auto response = busy->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server_->stats().connections_evicted, 0u);
}

TEST_F(ServerTest, HandshakeCapClosesTheOldestStalledHandshake) {
  ServerOptions options = Options(ec_server_);
  options.max_handshakes_in_progress = 2;
  StartServer(options);
  // Plain TCP to a TLS listener: a handshake that never gets a ClientHello.
  auto stalled_first = Connect(Plain());
  ASSERT_TRUE(stalled_first);
  AwaitStats([](const Server::Stats& stats) { return stats.handshakes_in_progress == 1; });
  auto stalled_second = Connect(Plain());
  ASSERT_TRUE(stalled_second);
  AwaitStats([](const Server::Stats& stats) { return stats.handshakes_in_progress == 2; });

  auto client = Connect(Client());
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->Request("GET", "/ping"));
  EXPECT_TRUE(stalled_first->PeerClosed());
  EXPECT_EQ(server_->stats().connections_evicted, 1u);
  AwaitStats([](const Server::Stats& stats) { return stats.handshakes_in_progress == 1; });
}

}  // namespace
}  // namespace xks::server
