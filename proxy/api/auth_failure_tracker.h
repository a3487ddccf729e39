#pragma once
// A short memory of the client addresses that recently failed SigV4 while presenting one of the
// routed tenant's own access key ids, for the request classifier (XksService::LikelyAuthentic):
// access key ids are not secret, so presenting a valid one earns a request the normal lane only
// while its address has not just shown that it cannot sign.
//
// An address counts as failing once it has failed `failures_to_demote` times within the remembered
// time: one stray failure (a mistyped secret during a rotation, a clock hiccup) must not push an
// honest client's new connections into the low lane; a flood of bad signatures crosses the
// threshold within milliseconds.
//
// A failure is remembered for at least `memory` and less than three times that (two
// generations of a set; when a generation is `memory` old it becomes the previous one and the
// older is dropped as a whole). At most `capacity` addresses per generation (memory stays bounded
// whatever the flood). When a generation is full, a new address takes the place of the one with
// the fewest failures and inherits that count plus one (the Space-Saving heavy-hitter scheme): an
// attacker cannot fill the table with one-off addresses and then fail unnoticed from a new one.
// The price is an overestimate for a newcomer while the table is full, which only ever concerns an
// address that did fail; the scan for the fewest costs O(capacity), only while full.
//
// IPv6 clients are counted per /64 (one customer's network usually; an attacker holding a /64 has
// 2^64 addresses), IPv4 and IPv4-mapped IPv6 per address.
//
// Thread safety: all members are thread-safe; each holds one mutex for a hash-set operation, so
// they may run on I/O threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/api/health_monitor.h"

namespace xks::api {

struct AuthFailureTrackerOptions {
  std::chrono::milliseconds memory{60000};
  std::size_t capacity = 4096;
  std::uint32_t failures_to_demote = 8;  ///< at least 1
};

class AuthFailureTracker {
 public:
  explicit AuthFailureTracker(AuthFailureTrackerOptions options = {},
                              SteadyClock clock = RealSteadyClock());

  /// Remembers that `address` (an IP address without port) failed authentication now.
  void NoteFailure(std::string_view address);
  /// True when `address` failed at least failures_to_demote times within the remembered time.
  bool RecentlyFailed(std::string_view address) const;

  /// The key failures are counted under: "2001:db8:1:2::/64" for an IPv6 address, the address
  /// itself otherwise (IPv4-mapped IPv6 as its IPv4 address).
  static std::string FailureKey(std::string_view address);

 private:
  void TurnGenerations() const;  // mu_ held

  const AuthFailureTrackerOptions options_;
  const SteadyClock clock_;
  mutable std::mutex mu_;
  // Failures per address in this generation and the one before.
  mutable std::unordered_map<std::string, std::uint32_t> current_;
  mutable std::unordered_map<std::string, std::uint32_t> previous_;
  mutable std::chrono::steady_clock::time_point generation_start_;
};

}  // namespace xks::api
