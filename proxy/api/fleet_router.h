#pragma once
// Which member of a tenant's fleet (tenants[].tokens: several HSM tokens holding the same key
// material) the next attempt of a key operation goes to (issue 14).
//
// A member whose health reads UNAVAILABLE (a failed deep check, a run of live HSM failures, a
// check stuck in a hung HSM) is taken out: requests go to the usable member with the fewest
// attempts in flight, ties to the one listed first. The HealthMonitor's probes bring a member
// back in. When no member is usable the least loaded one is tried anyway: its health may be
// stale, and an attempt costs at most the request's time budget, while refusing outright would
// answer every request with an error even after the HSM came back between two probes.
//
// A one-member fleet (every tenant with "token") is routed without locks or counting.
//
// Thread safety: every member is thread-safe. Pick takes one short mutex and reads the monitor's
// cache; it never waits on an HSM.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "proxy/api/health_monitor.h"

namespace xks::api {

/// The health of a fleet from its members': ACTIVE when every member is, UNAVAILABLE when none
/// can serve (all UNAVAILABLE), DEGRADED otherwise (some members out, or slow). Empty: UNAVAILABLE.
HealthStatus FleetHealth(std::span<const HealthStatus> members);

/// One attempt on one member, counted in flight until the lease is destroyed. Movable.
class MemberLease {
 public:
  MemberLease() = default;
  MemberLease(std::string token_id, std::shared_ptr<std::atomic<int>> in_flight);
  ~MemberLease();
  MemberLease(MemberLease&& other) noexcept = default;
  MemberLease& operator=(MemberLease&& other) noexcept;
  MemberLease(const MemberLease&) = delete;
  MemberLease& operator=(const MemberLease&) = delete;

  const std::string& token_id() const { return token_id_; }

 private:
  std::string token_id_;
  std::shared_ptr<std::atomic<int>> in_flight_;  // null: not counted (one-member fleet)
};

class FleetRouter {
 public:
  /// `health` must outlive the router.
  explicit FleetRouter(const HealthMonitor& health) : health_(health) {}

  /// The member for the next attempt among `members` (never empty), leaving out `exclude` when
  /// another member exists (the retry after a failure on it).
  MemberLease Pick(std::span<const std::string> members, std::string_view exclude = {});

  /// Attempts in flight on `token_id` (for tests and diagnostics).
  int InFlight(std::string_view token_id) const;

 private:
  std::shared_ptr<std::atomic<int>> CounterLocked(const std::string& token_id);

  const HealthMonitor& health_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::atomic<int>>, std::less<>> in_flight_;
};

}  // namespace xks::api
