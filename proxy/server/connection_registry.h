#pragma once
// The connections a server holds, and whom it admits when a limit is reached. No Asio here: a
// connection is an interface, so the admission policy is unit-testable without sockets.
//
// Policy for a newly accepted connection from IP address A (checked in this order):
//  1. A already holds max_per_address connections: A's own oldest evictable connection that never
//     authenticated is closed to make room (a client sharing A's address, behind the same NAT or
//     egress, still gets in while an attacker holds A's slots); when there is none, the newcomer
//     is refused.
//  2. max_connections are open: the oldest evictable connection that never authenticated is
//     closed to make room; when there is none, the newcomer is refused. A client with valid
//     credentials therefore still gets in while anonymous connections fill the server.
//  3. A TLS newcomer while max_handshakes handshakes are in progress: the oldest handshake of the
//     address with the most handshakes in progress is closed. This bounds the handshake work
//     queued on the I/O threads (and so the delay it adds to requests on established
//     connections) without letting stalled handshakes lock newcomers out, and a flood from one
//     address evicts its own handshakes rather than other clients'.
//
// "Evictable" means the connection holds no request that a handler is working on: it is in its
// handshake, idle between requests, reading a request, draining or writing a refusal. Only
// in-flight requests (bounded by the worker queue) are skipped, so an eviction scan is short.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xks::server {

/// A connection as the registry sees it.
class RegisteredConnection {
 public:
  virtual ~RegisteredConnection() = default;
  /// Closes the connection if it is between requests or still handshaking (graceful shutdown).
  /// Thread-safe; may act asynchronously.
  virtual void CloseIfIdle() = 0;
  /// Closes the connection whatever it is doing. Thread-safe; may act asynchronously.
  virtual void ForceClose() = 0;

  /// False while a handler works on one of the connection's requests (see the policy above);
  /// false until the connection says otherwise. Written by the connection, read by the registry
  /// from any thread.
  bool evictable() const { return evictable_.load(std::memory_order_relaxed); }

 protected:
  void set_evictable(bool evictable) { evictable_.store(evictable, std::memory_order_relaxed); }

 private:
  std::atomic<bool> evictable_{false};
};

struct ConnectionLimits {
  std::size_t max_connections = 4096;
  std::size_t max_per_address = 256;  ///< 0: no per-address cap
  std::size_t max_handshakes = 64;    ///< TLS handshakes in progress; 0: no cap
};

/// Thread-safe. Connections must Remove() themselves before they are destroyed (e.g. in their
/// destructor); the registry keeps only weak references and raw keys.
class ConnectionRegistry {
 public:
  explicit ConnectionRegistry(ConnectionLimits limits) : limits_(limits) {}

  enum class Admission { kAdmitted, kAddressFull, kFull };

  /// Applies the policy above to a newly accepted `connection` from `address` (an IP, without
  /// port). kAdmitted: it is registered (unauthenticated; `handshaking` for TLS) and any
  /// connection closed to make room got ForceClose() (called after the registry's lock is
  /// released). Otherwise nothing changed and the caller closes the newcomer.
  Admission Admit(const std::shared_ptr<RegisteredConnection>& connection,
                  const std::string& address, bool handshaking);

  /// The connection's TLS handshake ended (either way). Idempotent.
  void HandshakeFinished(const RegisteredConnection* connection);
  /// A response on the connection carried proven credentials: never evicted from now on.
  void MarkAuthenticated(const RegisteredConnection* connection);
  /// Forgets the connection. Unknown connections (refused ones) are ignored.
  void Remove(const RegisteredConnection* connection);

  /// Every registered connection still alive.
  std::vector<std::shared_ptr<RegisteredConnection>> Snapshot() const;
  /// Waits until no connection is registered; false when `timeout` passed first.
  bool WaitUntilEmpty(std::chrono::milliseconds timeout);

  struct Counts {
    std::size_t open = 0;         ///< registered, including those being closed to make room
    std::size_t handshaking = 0;  ///< TLS handshakes in progress (not being closed)
    std::uint64_t refused = 0;    ///< newcomers refused by rules 1 and 2
    std::uint64_t evicted = 0;    ///< connections closed to make room (rules 1, 2 and 3)
  };
  Counts counts() const;

 private:
  using Order = std::list<const RegisteredConnection*>;  // oldest first
  struct AddressState {
    std::size_t connections = 0;  ///< registered, including those being evicted
    std::size_t evicting = 0;
    Order unauthenticated;
    Order handshaking;
  };
  using Address = std::pair<const std::string, AddressState>;  // node of addresses_: stable
  struct Entry {
    std::weak_ptr<RegisteredConnection> connection;
    Address* address = nullptr;
    std::uint64_t sequence = 0;  ///< admission order
    bool evicting = false;
    bool unauthenticated = true;
    bool handshaking = false;
    Order::iterator unauthenticated_position;          // in unauthenticated_, while unauthenticated
    Order::iterator address_unauthenticated_position;  // in the address's list, likewise
    Order::iterator handshake_position;                // in the address's list, while handshaking
  };
  // Addresses with handshakes in progress, the heaviest last: (handshakes, the inverted sequence
  // of the address's oldest handshake, address), so ties go to the address that waited longest.
  using HandshakeLoad = std::tuple<std::size_t, std::uint64_t, const Address*>;

  // All with mutex_ held.
  std::shared_ptr<RegisteredConnection> EvictOldest(const Order& order, bool evictable_only);
  void Evict(Entry& entry);
  void EnterHandshake(Entry& entry, const RegisteredConnection* connection);
  void LeaveHandshake(Entry& entry);
  void LeaveUnauthenticated(Entry& entry);
  std::optional<HandshakeLoad> LoadOf(const Address& address) const;
  void SetLoad(const Address& address, const std::optional<HandshakeLoad>& before);

  const ConnectionLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable empty_cv_;
  std::unordered_map<const RegisteredConnection*, Entry> entries_;
  std::unordered_map<std::string, AddressState> addresses_;
  std::set<HandshakeLoad> handshake_load_;
  Order unauthenticated_;
  std::size_t handshaking_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::size_t evicting_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace xks::server
