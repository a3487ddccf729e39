#include "proxy/server/connection_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace xks::server {
namespace {

// Records what the registry asked of it; Remove() is the test's job, as a real connection does it
// when it is destroyed.
class FakeConnection : public RegisteredConnection {
 public:
  void CloseIfIdle() override { close_if_idle_calls.fetch_add(1); }
  void ForceClose() override { force_closed.store(true); }
  void SetEvictable(bool evictable) { set_evictable(evictable); }

  std::atomic<int> close_if_idle_calls{0};
  std::atomic<bool> force_closed{false};
};

using Admission = ConnectionRegistry::Admission;

class ConnectionRegistryTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeConnection> Admitted(ConnectionRegistry& registry, const std::string& ip,
                                           bool handshaking = false) {
    auto connection = std::make_shared<FakeConnection>();
    EXPECT_EQ(registry.Admit(connection, ip, handshaking), Admission::kAdmitted);
    return connection;
  }
};

TEST_F(ConnectionRegistryTest, PerAddressCapCountsByIpAndFreesOnRemove) {
  ConnectionRegistry registry({.max_connections = 100, .max_per_address = 2, .max_handshakes = 0});
  auto a1 = Admitted(registry, "10.0.0.1");
  auto a2 = Admitted(registry, "10.0.0.1");
  auto third = std::make_shared<FakeConnection>();
  EXPECT_EQ(registry.Admit(third, "10.0.0.1", false), Admission::kAddressFull);
  auto other = Admitted(registry, "10.0.0.2");  // another address is not affected
  EXPECT_EQ(registry.counts().open, 3u);
  EXPECT_EQ(registry.counts().refused, 1u);
  EXPECT_FALSE(a1->force_closed.load()) << "a connection in a request is never evicted";
  registry.Remove(a1.get());
  EXPECT_EQ(registry.Admit(third, "10.0.0.1", false), Admission::kAdmitted);
}

TEST_F(ConnectionRegistryTest, FullAddressMakesRoomFromItsOwnOldestEvictableConnection) {
  ConnectionRegistry registry({.max_connections = 100, .max_per_address = 3, .max_handshakes = 0});
  auto other = Admitted(registry, "10.0.0.9");
  other->SetEvictable(true);
  auto authenticated = Admitted(registry, "10.0.0.1");
  authenticated->SetEvictable(true);
  registry.MarkAuthenticated(authenticated.get());
  auto oldest = Admitted(registry, "10.0.0.1");
  oldest->SetEvictable(true);
  auto younger = Admitted(registry, "10.0.0.1");
  younger->SetEvictable(true);

  // A client behind the same address gets in; the address's own oldest anonymous slot pays.
  auto newcomer = std::make_shared<FakeConnection>();
  EXPECT_EQ(registry.Admit(newcomer, "10.0.0.1", false), Admission::kAdmitted);
  EXPECT_TRUE(oldest->force_closed.load());
  EXPECT_FALSE(younger->force_closed.load());
  EXPECT_FALSE(authenticated->force_closed.load()) << "authenticated connections are kept";
  EXPECT_FALSE(other->force_closed.load()) << "another address never pays for this one";
  EXPECT_EQ(registry.counts().evicted, 1u);
  EXPECT_EQ(registry.counts().refused, 0u);

  // With the remaining anonymous slot busy and the authenticated one kept, the next is refused.
  younger->SetEvictable(false);
  newcomer->SetEvictable(false);
  auto refused = std::make_shared<FakeConnection>();
  EXPECT_EQ(registry.Admit(refused, "10.0.0.1", false), Admission::kAddressFull);
  EXPECT_EQ(registry.counts().refused, 1u);
  // The evicted connection stopped counting when it was picked: its going frees nothing more.
  registry.Remove(oldest.get());
  EXPECT_EQ(registry.Admit(refused, "10.0.0.1", false), Admission::kAddressFull);
  registry.Remove(younger.get());
  EXPECT_EQ(registry.Admit(refused, "10.0.0.1", false), Admission::kAdmitted);
}

TEST_F(ConnectionRegistryTest, ZeroPerAddressCapMeansNoCap) {
  ConnectionRegistry registry({.max_connections = 10, .max_per_address = 0, .max_handshakes = 0});
  std::vector<std::shared_ptr<FakeConnection>> held;
  for (int i = 0; i < 10; ++i) held.push_back(Admitted(registry, "10.0.0.1"));
  EXPECT_EQ(registry.counts().open, 10u);
}

TEST_F(ConnectionRegistryTest, FullServerEvictsTheOldestIdleUnauthenticatedConnection) {
  ConnectionRegistry registry({.max_connections = 3, .max_per_address = 0, .max_handshakes = 0});
  auto authenticated = Admitted(registry, "10.0.0.1");
  authenticated->SetEvictable(true);
  registry.MarkAuthenticated(authenticated.get());
  auto busy = Admitted(registry, "10.0.0.2");  // unauthenticated but in the middle of a request
  auto idle = Admitted(registry, "10.0.0.3");
  idle->SetEvictable(true);

  auto newcomer = std::make_shared<FakeConnection>();
  EXPECT_EQ(registry.Admit(newcomer, "10.0.0.4", false), Admission::kAdmitted);
  EXPECT_TRUE(idle->force_closed.load());
  EXPECT_FALSE(authenticated->force_closed.load()) << "authenticated connections are kept";
  EXPECT_FALSE(busy->force_closed.load()) << "a connection in a request is kept";
  EXPECT_EQ(registry.counts().evicted, 1u);

  // The evicted connection is still registered until it is gone, but no longer counts against
  // the cap, and is not picked twice. Nothing else is idle: the next newcomer is refused.
  EXPECT_EQ(registry.counts().open, 4u);
  auto refused = std::make_shared<FakeConnection>();
  EXPECT_EQ(registry.Admit(refused, "10.0.0.5", false), Admission::kFull);
  EXPECT_EQ(registry.counts().refused, 1u);
  registry.Remove(idle.get());
  EXPECT_EQ(registry.counts().open, 3u);
  EXPECT_EQ(registry.Admit(refused, "10.0.0.5", false), Admission::kFull);
}

TEST_F(ConnectionRegistryTest, EvictionTakesTheOldestFirstAndHandshakesCountAsIdle) {
  ConnectionRegistry registry({.max_connections = 3, .max_per_address = 0, .max_handshakes = 0});
  auto oldest = Admitted(registry, "10.0.0.1", /*handshaking=*/true);
  auto middle = Admitted(registry, "10.0.0.2");
  middle->SetEvictable(true);
  auto youngest = Admitted(registry, "10.0.0.3");
  youngest->SetEvictable(true);
  auto first = std::make_shared<FakeConnection>();
  ASSERT_EQ(registry.Admit(first, "10.0.0.4", false), Admission::kAdmitted);
  EXPECT_TRUE(oldest->force_closed.load());
  EXPECT_FALSE(middle->force_closed.load());
  auto second = std::make_shared<FakeConnection>();
  ASSERT_EQ(registry.Admit(second, "10.0.0.5", false), Admission::kAdmitted);
  EXPECT_TRUE(middle->force_closed.load());
  EXPECT_FALSE(youngest->force_closed.load());
}

TEST_F(ConnectionRegistryTest, HandshakeCapClosesTheOldestHandshakeInProgress) {
  ConnectionRegistry registry({.max_connections = 100, .max_per_address = 0, .max_handshakes = 2});
  auto h1 = Admitted(registry, "10.0.0.1", true);
  auto h2 = Admitted(registry, "10.0.0.2", true);
  EXPECT_EQ(registry.counts().handshaking, 2u);
  auto plain = Admitted(registry, "10.0.0.3", false);  // no handshake (insecure listener)
  EXPECT_FALSE(h1->force_closed.load());
  auto h3 = Admitted(registry, "10.0.0.4", true);
  EXPECT_TRUE(h1->force_closed.load());
  EXPECT_FALSE(h2->force_closed.load());
  EXPECT_EQ(registry.counts().handshaking, 2u);
  registry.HandshakeFinished(h2.get());
  registry.HandshakeFinished(h2.get());  // idempotent
  EXPECT_EQ(registry.counts().handshaking, 1u);
  auto h4 = Admitted(registry, "10.0.0.5", true);
  EXPECT_FALSE(h3->force_closed.load()) << "a slot was free";
  EXPECT_EQ(registry.counts().handshaking, 2u);
}

TEST_F(ConnectionRegistryTest, HandshakeCapClosesAHandshakeOfTheHeaviestAddress) {
  ConnectionRegistry registry({.max_connections = 100, .max_per_address = 0, .max_handshakes = 3});
  auto honest = Admitted(registry, "10.0.0.1", true);  // the oldest handshake of all
  auto flood1 = Admitted(registry, "10.0.0.66", true);
  auto flood2 = Admitted(registry, "10.0.0.66", true);
  auto newcomer = Admitted(registry, "10.0.0.2", true);
  EXPECT_FALSE(honest->force_closed.load()) << "the flooding address pays, not the oldest client";
  EXPECT_TRUE(flood1->force_closed.load());
  EXPECT_FALSE(flood2->force_closed.load());
  EXPECT_EQ(registry.counts().handshaking, 3u);

  // Now every address holds one: the tie goes to the address whose handshake waited longest.
  auto another = Admitted(registry, "10.0.0.3", true);
  EXPECT_TRUE(honest->force_closed.load());
  EXPECT_FALSE(flood2->force_closed.load());
  EXPECT_FALSE(newcomer->force_closed.load());
  registry.Remove(flood1.get());
  registry.Remove(honest.get());
  EXPECT_EQ(registry.counts().handshaking, 3u);
  EXPECT_EQ(registry.counts().open, 3u);
}

TEST_F(ConnectionRegistryTest, SnapshotSkipsDeadConnectionsAndWaitUntilEmptyWakes) {
  ConnectionRegistry registry({});
  auto kept = Admitted(registry, "10.0.0.1");
  const RegisteredConnection* gone_key = nullptr;
  {
    auto gone = Admitted(registry, "10.0.0.2");
    gone_key = gone.get();
  }  // destroyed; like a real connection in its destructor, it removes itself below
  EXPECT_EQ(registry.Snapshot().size(), 1u);
  EXPECT_FALSE(registry.WaitUntilEmpty(std::chrono::milliseconds(0)));
  registry.Remove(gone_key);
  for (auto& connection : registry.Snapshot()) connection->CloseIfIdle();
  EXPECT_EQ(kept->close_if_idle_calls.load(), 1);
  std::thread remover([&] { registry.Remove(kept.get()); });
  EXPECT_TRUE(registry.WaitUntilEmpty(std::chrono::minutes(5)));
  remover.join();
  EXPECT_EQ(registry.counts().open, 0u);
}

}  // namespace
}  // namespace xks::server
