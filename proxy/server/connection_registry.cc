#include "proxy/server/connection_registry.h"

#include <utility>

namespace xks::server {

ConnectionRegistry::Admission ConnectionRegistry::Admit(
    const std::shared_ptr<RegisteredConnection>& connection, const std::string& address,
    bool handshaking) {
  std::vector<std::shared_ptr<RegisteredConnection>> victims;
  {
    std::lock_guard lock(mutex_);
    if (limits_.max_per_address != 0) {
      const auto it = per_address_.find(address);
      if (it != per_address_.end() && it->second >= limits_.max_per_address) {
        ++refused_;
        return Admission::kAddressFull;
      }
    }
    if (entries_.size() - evicting_ >= limits_.max_connections) {
      auto victim = EvictOldest(unauthenticated_, /*idle_only=*/true);
      if (!victim) {
        ++refused_;
        return Admission::kFull;
      }
      victims.push_back(std::move(victim));
    }
    if (handshaking && limits_.max_handshakes != 0 &&
        handshaking_.size() >= limits_.max_handshakes) {
      if (auto victim = EvictOldest(handshaking_, /*idle_only=*/false)) {
        victims.push_back(std::move(victim));
      }
    }
    Entry& entry = entries_[connection.get()];
    entry.connection = connection;
    entry.address = address;
    entry.unauthenticated_position =
        unauthenticated_.insert(unauthenticated_.end(), connection.get());
    if (handshaking) {
      entry.handshaking = true;
      entry.handshake_position = handshaking_.insert(handshaking_.end(), connection.get());
    }
    ++per_address_[address];
  }
  for (auto& victim : victims) victim->ForceClose();
  return Admission::kAdmitted;
}

// A connection still in its handshake counts as idle: it has not sent a request yet.
std::shared_ptr<RegisteredConnection> ConnectionRegistry::EvictOldest(Order& order,
                                                                      bool idle_only) {
  for (const RegisteredConnection* raw : order) {
    Entry& entry = entries_.at(raw);
    if (idle_only && !entry.handshaking && !raw->waiting_for_request()) continue;
    auto connection = entry.connection.lock();
    if (!connection) continue;  // being destroyed; its Remove() is waiting for our lock
    Evict(entry);
    return connection;
  }
  return nullptr;
}

void ConnectionRegistry::Evict(Entry& entry) {
  // Out of both orders at once, so it is neither picked twice nor counted as a live handshake.
  entry.evicting = true;
  ++evicting_;
  ++evicted_;
  LeaveHandshake(entry);
  LeaveUnauthenticated(entry);
}

void ConnectionRegistry::LeaveHandshake(Entry& entry) {
  if (!entry.handshaking) return;
  handshaking_.erase(entry.handshake_position);
  entry.handshaking = false;
}

void ConnectionRegistry::LeaveUnauthenticated(Entry& entry) {
  if (!entry.unauthenticated) return;
  unauthenticated_.erase(entry.unauthenticated_position);
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
    if (entry.evicting) --evicting_;
    const auto count = per_address_.find(entry.address);
    if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
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
  counts.handshaking = handshaking_.size();
  counts.refused = refused_;
  counts.evicted = evicted_;
  return counts;
}

}  // namespace xks::server
