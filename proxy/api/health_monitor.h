#pragma once
// Runs the backend's deep health check for every configured token on a background thread and keeps
// the latest result per token, so GetHealthStatus answers from the cache and never waits on the HSM
// (spec GetHealthStatus: a cached result MUST NOT be older than one minute).
//
// Status of a token: UNAVAILABLE when never checked, when the last check failed or when the last
// result is older than max_age; DEGRADED when the last check took longer than degraded_latency;
// ACTIVE otherwise. (XksService additionally reports DEGRADED while the audit sink is unhealthy.)
//
// Thread safety: every member is thread-safe. The destructor stops the thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/api/key_backend.h"
#include "proxy/api/log.h"

namespace xks::api {

/// Injectable steady clock (tests drive time by hand).
using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;
SteadyClock RealSteadyClock();

enum class HealthStatus { kActive, kDegraded, kUnavailable };
/// "ACTIVE", "DEGRADED", "UNAVAILABLE" (spec wire spelling).
std::string_view HealthStatusString(HealthStatus status);

struct HealthMonitorOptions {
  std::chrono::milliseconds interval{20000};        ///< between rounds; keep well below max_age
  std::chrono::milliseconds max_age{60000};         ///< older results read as UNAVAILABLE
  std::chrono::milliseconds check_timeout{2000};    ///< deadline given to each check
  std::chrono::milliseconds degraded_latency{100};  ///< slower checks read as DEGRADED
};

class HealthMonitor {
 public:
  /// `backend` and `logger` must outlive the monitor. Does not start the thread.
  HealthMonitor(KeyBackend& backend, HealthMonitorOptions options,
                SteadyClock clock = RealSteadyClock(), Logger* logger = nullptr);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  /// The tokens to check (e.g. TenantRegistry::TenantTokenIds() after each reload). Results of
  /// tokens no longer listed are dropped; new tokens read UNAVAILABLE until their first check.
  void SetTokens(std::vector<std::string> token_ids);

  /// Runs one round synchronously on the calling thread (startup, tests).
  void CheckNow();

  /// Starts the background thread: a round at once, then one every `interval`. Idempotent.
  void Start();
  /// Stops and joins the thread (an in-flight check finishes first). Idempotent.
  void Stop();

  /// The token's status now, from the cache. Never blocks on the HSM.
  HealthStatus Status(std::string_view token_id) const;

  /// Rounds completed so far (CheckNow and background).
  std::uint64_t rounds_completed() const;
  /// Blocks until at least `n` rounds have completed (for tests: no sleeps, no timing).
  void WaitForRounds(std::uint64_t n) const;

 private:
  struct Result {
    bool ok = false;
    std::chrono::steady_clock::time_point checked_at{};
    std::chrono::steady_clock::duration latency{};
  };
  void Loop();

  KeyBackend& backend_;
  const HealthMonitorOptions options_;
  const SteadyClock clock_;
  Logger* const logger_;

  std::mutex round_mu_;  // one round at a time (CheckNow vs the thread)
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::string> tokens_;
  std::map<std::string, Result, std::less<>> results_;
  std::uint64_t rounds_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace xks::api
