#pragma once
// Bounded damage from a hang: a started PKCS#11 call cannot be interrupted, so a hung HSM keeps
// every call that reached it, and each new request would still tie up a worker until its deadline
// waiting for a session. StuckCallLimiter counts one token's calls still running past their
// deadline; at the cap, new work for that token is refused at once (503 DependencyTimeout), so the
// workers stay free for the other tokens.
//
// Thread safety: every member is thread-safe (one short mutex).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <set>

namespace xks::runtime {

class StuckCallLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// Refuses new calls while `max_stuck` (>= 1) admitted calls are past their deadline.
  explicit StuckCallLimiter(std::size_t max_stuck) : max_stuck_(max_stuck) {}
  StuckCallLimiter(const StuckCallLimiter&) = delete;
  StuckCallLimiter& operator=(const StuckCallLimiter&) = delete;

  /// One admitted call; it stops counting when destroyed (the HSM returned).
  class Admission {
   public:
    Admission(Admission&& other) noexcept;
    Admission& operator=(Admission&&) = delete;
    Admission(const Admission&) = delete;
    ~Admission();

   private:
    friend class StuckCallLimiter;
    Admission(StuckCallLimiter* limiter, std::multiset<TimePoint>::iterator it)
        : limiter_(limiter), it_(it) {}
    StuckCallLimiter* limiter_;
    std::multiset<TimePoint>::iterator it_;
  };

  /// Admits a call with `deadline`, or nullopt when the token already has max_stuck calls in
  /// flight past their deadline at `now`.
  std::optional<Admission> Admit(TimePoint deadline, TimePoint now);
  /// Calls in flight past their deadline at `now`.
  std::size_t Stuck(TimePoint now) const;
  std::size_t max_stuck() const { return max_stuck_; }

 private:
  std::size_t StuckLocked(TimePoint now) const;

  const std::size_t max_stuck_;
  mutable std::mutex mu_;
  std::multiset<TimePoint> in_flight_;  // deadlines of admitted calls
};

}  // namespace xks::runtime
