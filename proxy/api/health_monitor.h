#pragma once
// Runs the backend's deep health check for every configured token on a background thread and keeps
// the latest result per token, so GetHealthStatus answers from the cache and never waits on the HSM
// (spec GetHealthStatus: a cached result MUST NOT be older than one minute).
//
// A deep check alone can lie: it runs every `interval`, and a check stuck inside a hung HSM never
// reports. So the status also learns from live requests (NoteOutcome, fed by
// HealthReportingBackend) and from a check that overran its deadline. Status of a token:
//   UNAVAILABLE  never checked; or a deep check has been running for longer than check_timeout (the
//                HSM hangs) and no live call succeeded since that deadline; or the latest verdict
//                is a failure; or the last completed deep check is older than max_age;
//   DEGRADED     the last deep check took longer than degraded_latency;
//   ACTIVE       otherwise.
// The latest verdict is set by whichever came last: a deep check's result, a live success, or a run
// of live_failure_run consecutive HSM-side failures (no success in between) within
// live_failure_window. Client errors (KeyNotFound, InvalidCiphertext, ...) say nothing about the
// HSM and are ignored. (XksService additionally reports DEGRADED while the audit sink is
// unhealthy.)
//
// Thread safety: every member is thread-safe. Status and NoteOutcome take one short mutex and never
// wait for the HSM or the check thread. The destructor stops the thread.

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
/// What a live HSM call met. kClientError (the request was wrong, the HSM answered) is ignored.
enum class HsmOutcome { kSuccess, kHsmFailure, kClientError };
/// "ACTIVE", "DEGRADED", "UNAVAILABLE" (spec wire spelling).
std::string_view HealthStatusString(HealthStatus status);

struct HealthMonitorOptions {
  std::chrono::milliseconds interval{20000};        ///< between rounds; keep well below max_age
  std::chrono::milliseconds max_age{60000};         ///< older results read as UNAVAILABLE
  std::chrono::milliseconds check_timeout{2000};    ///< deadline given to each check
  std::chrono::milliseconds degraded_latency{100};  ///< slower checks read as DEGRADED
  /// This many consecutive HSM-side failures of live requests make the token UNAVAILABLE at once
  /// (0: live outcomes are ignored). 3: one failure can be a glitch, three in a row with no
  /// success between are a pattern, and under load they arrive within milliseconds.
  int live_failure_run = 3;
  /// The run must fit in this window (counted from its first failure), so failures scattered over
  /// minutes of light traffic do not add up. Well above server.hsm_time_budget_ms, so the session
  /// timeouts of a hung HSM still count.
  std::chrono::milliseconds live_failure_window{10000};
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

  /// The token's status now, from the cache. Never blocks on the HSM or on the check thread.
  HealthStatus Status(std::string_view token_id) const;

  /// What a live request's HSM call on `token_id` met. Cheap (a map lookup under a short mutex);
  /// unknown tokens are ignored.
  void NoteOutcome(std::string_view token_id, HsmOutcome outcome);

  /// Rounds completed so far (CheckNow and background).
  std::uint64_t rounds_completed() const;
  /// Blocks until at least `n` rounds have completed (for tests: no sleeps, no timing).
  void WaitForRounds(std::uint64_t n) const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct TokenState {
    bool checked = false;  // a deep check has completed
    bool ok = false;       // the latest verdict (deep check, live success or live failure run)
    TimePoint checked_at{};
    std::chrono::steady_clock::duration latency{};
    std::optional<TimePoint> check_started;  // a deep check is in flight since then
    int failure_run = 0;                     // consecutive live HSM-side failures
    TimePoint run_started{};
    std::optional<TimePoint> last_success;  // of a live request
  };
  void CheckToken(const std::string& token);
  void NoteFailure(TokenState& state, TimePoint now);
  void Loop();

  KeyBackend& backend_;
  const HealthMonitorOptions options_;
  const SteadyClock clock_;
  Logger* const logger_;

  std::mutex round_mu_;  // one round at a time (CheckNow vs the thread)
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::string> tokens_;
  std::map<std::string, TokenState, std::less<>> states_;
  std::uint64_t rounds_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace xks::api
