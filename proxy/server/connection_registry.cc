#include "proxy/server/connection_registry.h"

#include <cstdint>
#include <utility>

namespace xks::server {

ConnectionRegistry::Admission ConnectionRegistry::Admit(
    const std::shared_ptr<RegisteredConnection>& connection, const std::string& address,
    bool handshaking) {
  std::vector<std::shared_ptr<RegisteredConnection>> victims;
  {
    std::lock_guard lock(mutex_);
    const auto existing = addresses_.find(address);
    if (limits_.max_per_address != 0 && existing != addresses_.end()) {
      AddressState& state = existing->second;
      if (state.connections - state.evicting >= limits_.max_per_address) {
        auto victim = EvictOldest(state.unauthenticated, /*evictable_only=*/true);
        if (!victim) {
          ++refused_;
          return Admission::kAddressFull;
        }
        victims.push_back(std::move(victim));
      }
    }
    // A victim of rule 1 already made room under the global cap too.
    if (entries_.size() - evicting_ >= limits_.max_connections) {
      auto victim = EvictOldest(unauthenticated_, /*evictable_only=*/true);
      if (!victim) {
        ++refused_;
        return Admission::kFull;
      }
      victims.push_back(std::move(victim));
    }
    if (handshaking && limits_.max_handshakes != 0 && handshaking_ >= limits_.max_handshakes &&
        !handshake_load_.empty()) {
      const Address* heaviest = std::get<2>(*handshake_load_.rbegin());
      if (auto victim = EvictOldest(heaviest->second.handshaking, /*evictable_only=*/false)) {
        victims.push_back(std::move(victim));
      }
    }
    Address& slot = *addresses_.try_emplace(address).first;
    Entry& entry = entries_[connection.get()];
    entry.connection = connection;
    entry.address = &slot;
    entry.sequence = next_sequence_++;
    entry.unauthenticated_position =
        unauthenticated_.insert(unauthenticated_.end(), connection.get());
    entry.address_unauthenticated_position =
        slot.second.unauthenticated.insert(slot.second.unauthenticated.end(), connection.get());
    if (handshaking) EnterHandshake(entry, connection.get());
    ++slot.second.connections;
  }
  for (auto& victim : victims) victim->ForceClose();
  return Admission::kAdmitted;
}

// A connection still in its handshake is always evictable: it has not sent a request yet.
std::shared_ptr<RegisteredConnection> ConnectionRegistry::EvictOldest(const Order& order,
                                                                      bool evictable_only) {
  for (const RegisteredConnection* raw : order) {
    Entry& entry = entries_.at(raw);
    if (evictable_only && !entry.handshaking && !raw->evictable()) continue;
    auto connection = entry.connection.lock();
    if (!connection) continue;  // being destroyed; its Remove() is waiting for our lock
    Evict(entry);
    return connection;
  }
  return nullptr;
}

void ConnectionRegistry::Evict(Entry& entry) {
  // Out of every order at once, so it is neither picked twice nor counted as a live handshake.
  entry.evicting = true;
  ++entry.address->second.evicting;
  ++evicting_;
  ++evicted_;
  LeaveHandshake(entry);
  LeaveUnauthenticated(entry);
}

std::optional<ConnectionRegistry::HandshakeLoad> ConnectionRegistry::LoadOf(
    const Address& address) const {
  const Order& handshakes = address.second.handshaking;
  if (handshakes.empty()) return std::nullopt;
  const std::uint64_t oldest = entries_.at(handshakes.front()).sequence;
  return HandshakeLoad{handshakes.size(), UINT64_MAX - oldest, &address};
}

void ConnectionRegistry::SetLoad(const Address& address,
                                 const std::optional<HandshakeLoad>& before) {
  if (before) handshake_load_.erase(*before);
  if (auto after = LoadOf(address)) handshake_load_.insert(*after);
}

void ConnectionRegistry::EnterHandshake(Entry& entry, const RegisteredConnection* connection) {
  Order& handshakes = entry.address->second.handshaking;
  const auto before = LoadOf(*entry.address);
  entry.handshake_position = handshakes.insert(handshakes.end(), connection);
  entry.handshaking = true;
  ++handshaking_;
  SetLoad(*entry.address, before);
}

void ConnectionRegistry::LeaveHandshake(Entry& entry) {
  if (!entry.handshaking) return;
  const auto before = LoadOf(*entry.address);
  entry.address->second.handshaking.erase(entry.handshake_position);
  entry.handshaking = false;
  --handshaking_;
  SetLoad(*entry.address, before);
}

void ConnectionRegistry::LeaveUnauthenticated(Entry& entry) {
  if (!entry.unauthenticated) return;
  unauthenticated_.erase(entry.unauthenticated_position);
  entry.address->second.unauthenticated.erase(entry.address_unauthenticated_position);
  entry.unauthenticated = false;
}

void ConnectionRegistry::HandshakeFinished(const RegisteredConnection* connection) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(connection);
  if (it != entries_.end()) LeaveHandshake(it->second);
}

void ConnectionRegistry::MarkAuthenticated(const RegisteredConnection* connection) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(connection);
  if (it != entries_.end()) LeaveUnauthenticated(it->second);
}

void ConnectionRegistry::Remove(const RegisteredConnection* connection) {
  bool empty = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(connection);
    if (it == entries_.end()) return;
    Entry& entry = it->second;
    LeaveHandshake(entry);
    LeaveUnauthenticated(entry);
    AddressState& address = entry.address->second;
    if (entry.evicting) {
      --evicting_;
      --address.evicting;
    }
    // By iterator: the key must not be a reference into the node being erased.
    if (--address.connections == 0) addresses_.erase(addresses_.find(entry.address->first));
    entries_.erase(it);
    empty = entries_.empty();
  }
  if (empty) empty_cv_.notify_all();
}

std::vector<std::shared_ptr<RegisteredConnection>> ConnectionRegistry::Snapshot() const {
  std::vector<std::shared_ptr<RegisteredConnection>> live;
  std::lock_guard lock(mutex_);
  live.reserve(entries_.size());
  for (const auto& [raw, entry] : entries_) {
    if (auto connection = entry.connection.lock()) live.push_back(std::move(connection));
  }
  return live;
}

bool ConnectionRegistry::WaitUntilEmpty(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return empty_cv_.wait_for(lock, timeout, [this] { return entries_.empty(); });
}

ConnectionRegistry::Counts ConnectionRegistry::counts() const {
  std::lock_guard lock(mutex_);
  Counts counts;
  counts.open = entries_.size();
  counts.handshaking = handshaking_;
  counts.refused = refused_;
  counts.evicted = evicted_;
  return counts;
}

}  // namespace xks::server
