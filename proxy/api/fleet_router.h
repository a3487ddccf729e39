#pragma once
// Which member of a tenant's fleet (tenants[].tokens: several HSM tokens holding the same key
// material) the next attempt of a key operation goes to (issue 14).
//
// A member is taken out while it is
//   - UNAVAILABLE by its health (a failed deep check, a run of live HSM failures, a check stuck
//     in a hung HSM): the HealthMonitor's probes bring it back; or
//   - stalled: attempts are in flight on it and it has answered none for `stall_after` (a
//     quarter of the time budget). A hung HSM shows this within milliseconds, long before three
//     requests have failed at their deadlines, so new requests stop piling up behind its stuck
//     calls; its next answer brings it back. Attempts that time out or are refused are no
//     answer.
// Requests go to a usable member with the fewest attempts in flight, ties to the one listed
// first. When no member is usable the least loaded one is tried anyway: its health may be stale,
// and an attempt costs at most the request's time budget, while refusing outright would answer
// every request with an error even after the HSM came back between two probes.
//
// A one-member fleet (every tenant with "token") is routed without locks or counting.
//
// Thread safety: every member is thread-safe. Pick takes one short mutex and reads the monitor's
// cache; it never waits on an HSM.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/api/health_monitor.h"

namespace xks::api {

/// The health of a fleet from its members': ACTIVE when every member is, UNAVAILABLE when none
/// can serve (all UNAVAILABLE), DEGRADED otherwise (some members out, or slow). Empty: UNAVAILABLE.
HealthStatus FleetHealth(std::span<const HealthStatus> members);

/// What the router knows of one member: attempts in flight and when one last began on an idle
/// member or ended. Shared with the leases, which may outlive the router.
struct MemberProgress {
  explicit MemberProgress(SteadyClock clock_in) : clock(std::move(clock_in)) {}
  void Began();
  void Answered();
  void Ended();
  /// In flight, and nothing answered for `stall_after`.
  bool Stalled(std::chrono::steady_clock::time_point now,
               std::chrono::steady_clock::duration stall_after) const;

  const SteadyClock clock;
  std::atomic<int> in_flight{0};
  std::atomic<std::int64_t> progress_ns{0};  // the last start on an idle member, or answer
};

/// One attempt on one member, counted in flight until the lease is destroyed. Movable.
class MemberLease {
 public:
  MemberLease() = default;
  MemberLease(std::string token_id, std::shared_ptr<MemberProgress> progress);
  ~MemberLease();
  MemberLease(MemberLease&& other) noexcept = default;
  MemberLease& operator=(MemberLease&& other) noexcept;
  MemberLease(const MemberLease&) = delete;
  MemberLease& operator=(const MemberLease&) = delete;

  const std::string& token_id() const { return token_id_; }
  /// The member answered this attempt (a success, or the request's own error): it is making
  /// progress. An attempt that timed out or was refused does not count.
  void NoteAnswered() {
    if (progress_) progress_->Answered();
  }

 private:
  std::string token_id_;
  std::shared_ptr<MemberProgress> progress_;  // null: not counted (one-member fleet)
};

class FleetRouter {
 public:
  /// `health` must outlive the router. `stall_after`: how long a member may have attempts in
  /// flight without one ending before it is taken out.
  FleetRouter(const HealthMonitor& health, SteadyClock clock,
              std::chrono::milliseconds stall_after = std::chrono::milliseconds(50))
      : health_(health), clock_(std::move(clock)), stall_after_(stall_after) {}

  /// The member for the next attempt among `members` (never empty), leaving out `exclude` when
  /// another member exists (the retry after a failure on it).
  MemberLease Pick(std::span<const std::string> members, std::string_view exclude = {});

  /// As Pick, but only a usable member other than `exclude` (health not UNAVAILABLE, not
  /// stalled), or nothing: where a retry may go.
  std::optional<MemberLease> PickUsable(std::span<const std::string> members,
                                        std::string_view exclude);

  /// Attempts in flight on `token_id` (for tests and diagnostics).
  int InFlight(std::string_view token_id) const;

 private:
  std::shared_ptr<MemberProgress> ProgressLocked(const std::string& token_id);
  // The best member other than `exclude` and whether it is usable; null when none is left.
  struct Choice {
    const std::string* member = nullptr;
    std::shared_ptr<MemberProgress> progress;
    bool usable = false;
  };
  Choice ChooseLocked(std::span<const std::string> members, std::string_view exclude);

  const HealthMonitor& health_;
  const SteadyClock clock_;
  const std::chrono::milliseconds stall_after_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemberProgress>, std::less<>> members_;
};

}  // namespace xks::api
