#pragma once
// Runs the backend's deep health check for every configured token and keeps the latest result per
// token, so GetHealthStatus answers from the cache and never waits on the HSM (spec
// GetHealthStatus: a cached result MUST NOT be older than one minute).
//
// Each check runs on its token's own executor (KeyBackend::Schedule), so a token whose HSM hangs
// never delays the checks of the others; the monitor's thread only submits checks and never waits
// for one. A token has at most one check in flight. A token whose latest verdict is a failure, or
// that has never passed a deep check, is checked every `probe_interval` (so it reads ACTIVE again
// within about that long once it recovers); a healthy one every `interval`. A check the backend
// refuses (queue full, too many stuck calls, deadline) counts as a failed check.
//
// A deep check alone can lie: it runs every `interval`, and a check stuck inside a hung HSM never
// reports. So the status also learns from live requests (NoteOutcome, fed by
// HealthReportingBackend) and from a check that overran its deadline. Status of a token:
//   UNAVAILABLE  never checked; or a deep check submitted longer than check_timeout ago has not
//                ended (queued behind stuck calls or inside a hung HSM) and no live call succeeded
//                since that deadline; or the latest verdict is a failure; or the last completed
//                deep check is older than max_age;
//   DEGRADED     the last deep check took longer than degraded_latency (from its submission, so
//                time spent queued behind the token's requests counts: clients wait that too);
//   ACTIVE       otherwise.
// The latest verdict is set by whichever came last: a deep check's result, a live success, or a run
// of live_failure_run consecutive HSM-side failures (no success in between) within
// live_failure_window. Client errors (KeyNotFound, InvalidCiphertext, ...) say nothing about the
// HSM and are ignored. (XksService additionally reports DEGRADED while the audit sink is
// unhealthy.)
//
// Thread safety: every member is thread-safe. Status and NoteOutcome take one short mutex and never
// wait for the HSM or a check. Results arrive on the backend's threads, possibly after Stop or the
// destructor: they live in state the checks share, so that is safe; a check the backend starts
// after the monitor is gone does not reach the HSM.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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
  std::chrono::milliseconds interval{20000};      ///< between rounds; keep well below max_age
  std::chrono::milliseconds max_age{60000};       ///< older results read as UNAVAILABLE
  std::chrono::milliseconds check_timeout{2000};  ///< deadline given to each check
  /// Between checks of a token whose latest verdict is a failure (or that never passed one).
  std::chrono::milliseconds probe_interval{1000};
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
  /// `backend` and `logger` must outlive the monitor (and `clock` whatever it refers to). Does not
  /// start the thread.
  HealthMonitor(KeyBackend& backend, HealthMonitorOptions options,
                SteadyClock clock = RealSteadyClock(), Logger* logger = nullptr);
  /// Stops the thread; does not wait for checks in flight (a hung HSM would hold it forever).
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  /// The tokens to check (e.g. TenantRegistry::TenantTokenIds() after each reload). Results of
  /// tokens no longer listed are dropped; new tokens read UNAVAILABLE until their first check.
  void SetTokens(std::vector<std::string> token_ids);

  /// One synchronous round (startup, tests): submits a check for every token that has none in
  /// flight, then waits until each token's check has ended or check_timeout (real time) passed.
  /// Never waits forever on a hung HSM.
  void CheckNow();

  /// Starts the background thread: a token is checked when it is due, i.e. at once if it never was
  /// (so every token right after startup, unless CheckNow just did), then every `interval`, or
  /// every `probe_interval` while failing. Idempotent.
  void Start();
  /// Stops and joins the thread. Checks in flight are not waited for; their results still count.
  /// Idempotent.
  void Stop();

  /// The token's status now, from the cache. Never blocks on the HSM or on a check.
  HealthStatus Status(std::string_view token_id) const;

  /// What a live request's HSM call on `token_id` met. Cheap (a map lookup under a short mutex);
  /// unknown tokens are ignored.
  void NoteOutcome(std::string_view token_id, HsmOutcome outcome);

  /// Rounds completed so far: CheckNow calls, and background passes once every check the pass
  /// submitted has ended (a pass with a check stuck in the HSM completes when that check does).
  std::uint64_t rounds_completed() const;
  /// Blocks until at least `n` rounds have completed (for tests: no sleeps, no timing).
  void WaitForRounds(std::uint64_t n) const;

 private:
  struct Shared;  // everything a check's callback touches, alive until the last callback ends
  void Loop();

  const std::shared_ptr<Shared> shared_;
  std::mutex thread_mu_;  // guards thread_ (Start vs Stop)
  std::thread thread_;
};

}  // namespace xks::api
