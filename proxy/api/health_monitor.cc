#include "proxy/api/health_monitor.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <optional>
#include <set>

namespace xks::api {

SteadyClock RealSteadyClock() {
  return [] { return std::chrono::steady_clock::now(); };
}

std::string_view HealthStatusString(HealthStatus status) {
  switch (status) {
    case HealthStatus::kActive:
      return "ACTIVE";
    case HealthStatus::kDegraded:
      return "DEGRADED";
    case HealthStatus::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNAVAILABLE";
}

// The monitor's state. Checks end on the backend's threads, possibly after the monitor is gone, so
// their callbacks hold a shared_ptr to this rather than a pointer to the monitor.
struct HealthMonitor::Shared : std::enable_shared_from_this<HealthMonitor::Shared> {
  using TimePoint = std::chrono::steady_clock::time_point;
  struct TokenState {
    bool checked = false;      // a deep check has ended (or was refused)
    bool ok = false;           // the latest verdict (deep check, live success or live failure run)
    bool ever_passed = false;  // a deep check has succeeded
    bool deep_ok = false;      // the latest deep check's verdict
    std::optional<TimePoint> failure_logged;  // when a failed check was last logged
    TimePoint checked_at{};
    std::chrono::steady_clock::duration latency{};
    std::uint64_t check_id = 0;              // of the check in flight (0: none)
    std::optional<TimePoint> check_started;  // when the backend got the check in flight
    std::optional<TimePoint> last_submitted;
    std::uint64_t checks_ended = 0;  // checks of this state that ended (CheckNow waits on it)
    int failure_run = 0;             // consecutive live HSM-side failures
    TimePoint run_started{};
    std::optional<TimePoint> last_success;  // of a live request
  };
  // A background pass completes as a round once every check it submitted has ended.
  struct Pass {
    std::size_t pending = 0;  // under mu
  };
  struct Ticket {
    std::string token;
    std::uint64_t check_id = 0;
    TimePoint submitted{};
    std::shared_ptr<Pass> pass;  // null for CheckNow (it counts its round itself)
  };

  Shared(KeyBackend& b, HealthMonitorOptions o, SteadyClock c, Logger* l)
      : backend(b), options(o), clock(std::move(c)), logger(l) {}

  Ticket Begin(const std::string& token, TokenState& state, TimePoint now);
  void Submit(Ticket ticket);
  void Finish(const Ticket& ticket, const ProxyResult<void>& result);
  // Records an ended check under `mu`; returns the line to log, if any.
  std::optional<std::string> Record(TokenState& state, const Ticket& ticket,
                                    const ProxyResult<void>& result, TimePoint end);
  std::optional<TimePoint> DueAt(const TokenState& state) const;
  std::optional<TimePoint> SubmitDueChecks();
  bool NoteFailure(TokenState& state, TimePoint now);

  KeyBackend& backend;
  const HealthMonitorOptions options;
  const SteadyClock clock;
  Logger* const logger;

  // Held while a check's result is recorded, and by the destructor to set `closed`: once it is
  // set, no callback touches the clock or the logger, which may be gone with the monitor.
  std::mutex finish_mu;
  std::atomic<bool> closed{false};

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<std::string> tokens;
  std::map<std::string, TokenState, std::less<>> states;
  std::uint64_t rounds = 0;
  std::uint64_t next_check_id = 1;
  bool stop = false;
  bool wake = false;  // the loop should recompute what is due (a check ended, tokens changed)
};

HealthMonitor::Shared::Ticket HealthMonitor::Shared::Begin(const std::string& token,
                                                           TokenState& state, TimePoint now) {
  state.check_id = next_check_id++;
  state.last_submitted = now;
  return Ticket{token, state.check_id, now, nullptr};
}

void HealthMonitor::Shared::Submit(Ticket ticket) {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = states.find(ticket.token);
    if (it == states.end() || it->second.check_id != ticket.check_id) {
      removed = true;  // by SetTokens since the pass began
    } else {
      // Published when the backend gets the check (an inline backend runs the checks one after
      // the other), so Status() can tell one that never ends: queued behind stuck calls or inside
      // a hung HSM.
      ticket.submitted = clock();
      it->second.check_started = ticket.submitted;
    }
  }
  // Nothing to check; the pass still counts the check as ended.
  if (removed) return Finish(ticket, ProxyResult<void>{});
  // The backend's deadlines are on the real steady clock; the injected clock only stamps results.
  const Deadline deadline = std::chrono::steady_clock::now() + options.check_timeout;
  const std::string token = ticket.token;
  backend.Schedule(token, deadline,
                   [self = shared_from_this(), ticket = std::move(ticket),
                    deadline](ProxyResult<void> admitted) {
                     ProxyResult<void> result = std::move(admitted);
                     // Nobody reads the result of a monitor that is gone: spare the HSM the call.
                     if (result.ok() && !self->closed.load()) {
                       result = self->backend.CheckTokenHealth(ticket.token, deadline);
                     }
                     self->Finish(ticket, result);
                   });
}

void HealthMonitor::Shared::Finish(const Ticket& ticket, const ProxyResult<void>& result) {
  std::lock_guard<std::mutex> finishing(finish_mu);
  if (closed.load()) return;
  const auto end = clock();
  std::optional<std::string> log_line;
  bool failed_line = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = states.find(ticket.token);
    // A token removed by SetTokens while it was being checked must not reappear, nor take the
    // result of a check submitted before it was re-added.
    if (it != states.end() && it->second.check_id == ticket.check_id) {
      log_line = Record(it->second, ticket, result, end);
      failed_line = !result.ok();
    }
    if (ticket.pass && --ticket.pass->pending == 0) ++rounds;
    wake = true;
  }
  if (log_line) logger->Log(failed_line ? LogLevel::kWarning : LogLevel::kInfo, *log_line);
  cv.notify_all();
}

std::optional<std::string> HealthMonitor::Shared::Record(TokenState& state, const Ticket& ticket,
                                                         const ProxyResult<void>& result,
                                                         TimePoint end) {
  std::optional<std::string> line;
  if (!result.ok() && result.error().name == ErrorName::kThrottling) {
    // Refused for load (the token's queue is full, the wait would outlast the check's deadline,
    // or the HSM has no session free): the token is busy serving, which says nothing against
    // the HSM. Reading it as failed would report UNAVAILABLE exactly when a saturated token
    // serves at capacity (and take it out of its fleet). The verdict stands; the check reads as
    // slow, so an ACTIVE token reads DEGRADED ("unhealthy but can still serve traffic").
    state.check_id = 0;
    state.check_started.reset();
    if (state.checked) state.checked_at = end;
    state.latency = std::max<std::chrono::steady_clock::duration>(
        end - ticket.submitted, options.degraded_latency + std::chrono::milliseconds(1));
    ++state.checks_ended;
    return line;
  }
  if (!result.ok()) {
    // A failing token is probed every probe_interval: its first failure is logged, then one line
    // per interval, not one a second.
    if (!state.checked || state.deep_ok || !state.failure_logged ||
        end - *state.failure_logged >= options.interval) {
      state.failure_logged = end;
      line = "health check failed token=" + ticket.token +
             " error=" + std::string(ErrorNameString(result.error().name)) +
             " detail=" + result.error().log_detail;
    }
  } else if (state.checked && !state.deep_ok) {
    line = "health check passed again token=" + ticket.token;
  }
  state.check_id = 0;
  state.check_started.reset();
  state.checked = true;
  state.ok = result.ok();
  state.deep_ok = result.ok();
  state.ever_passed = state.ever_passed || result.ok();
  state.checked_at = end;
  state.latency = end - ticket.submitted;
  if (result.ok()) state.failure_run = 0;
  ++state.checks_ended;
  return line;
}

std::optional<HealthMonitor::Shared::TimePoint> HealthMonitor::Shared::DueAt(
    const TokenState& state) const {
  if (state.check_id != 0) return std::nullopt;  // in flight: its end wakes the loop
  if (!state.last_submitted) return TimePoint::min();
  const bool healthy = state.ok && state.ever_passed;
  return *state.last_submitted + (healthy ? options.interval : options.probe_interval);
}

std::optional<HealthMonitor::Shared::TimePoint> HealthMonitor::Shared::SubmitDueChecks() {
  const auto now = clock();
  auto pass = std::make_shared<Pass>();
  std::vector<Ticket> due;
  std::optional<TimePoint> next;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const std::string& token : tokens) {
      auto it = states.find(token);
      if (it == states.end()) continue;
      const auto at = DueAt(it->second);
      if (!at) continue;
      if (*at <= now) {
        due.push_back(Begin(token, it->second, now));
        due.back().pass = pass;
      } else {
        next = next ? std::min(*next, *at) : *at;
      }
    }
    pass->pending = due.size();
  }
  // Outside the lock: a backend may run the check (or refuse it) on this thread.
  for (Ticket& ticket : due) Submit(std::move(ticket));
  return next;
}

bool HealthMonitor::Shared::NoteFailure(TokenState& state, TimePoint now) {
  // A run whose first failure is older than the window starts over with this one.
  if (state.failure_run == 0 || now - state.run_started > options.live_failure_window) {
    state.failure_run = 0;
    state.run_started = now;
  }
  ++state.failure_run;
  if (state.failure_run < options.live_failure_run || !state.ok) return false;
  state.ok = false;
  return true;
}

HealthMonitor::HealthMonitor(KeyBackend& backend, HealthMonitorOptions options, SteadyClock clock,
                             Logger* logger)
    : shared_(std::make_shared<Shared>(backend, options, std::move(clock),
                                       logger != nullptr ? logger : &DefaultLogger())) {}

HealthMonitor::~HealthMonitor() {
  Stop();
  std::lock_guard<std::mutex> finishing(shared_->finish_mu);
  shared_->closed = true;
}

void HealthMonitor::SetTokens(std::vector<std::string> token_ids) {
  Shared& s = *shared_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    std::set<std::string, std::less<>> keep(token_ids.begin(), token_ids.end());
    for (auto it = s.states.begin(); it != s.states.end();) {
      it = keep.count(it->first) ? std::next(it) : s.states.erase(it);
    }
    // New tokens get a state at once, so live outcomes count before their first check.
    for (const std::string& token : token_ids) s.states.try_emplace(token);
    s.tokens = std::move(token_ids);
    s.wake = true;  // new tokens are due at once
  }
  s.cv.notify_all();
}

void HealthMonitor::CheckNow() {
  Shared& s = *shared_;
  const auto until = std::chrono::steady_clock::now() + s.options.check_timeout;
  const auto now = s.clock();
  std::vector<Shared::Ticket> submit;
  std::map<std::string, std::uint64_t, std::less<>> awaited;  // token -> checks_ended to reach
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (const std::string& token : s.tokens) {
      auto it = s.states.find(token);
      if (it == s.states.end()) continue;
      awaited[token] = it->second.checks_ended + 1;
      // One check per token: a check already in flight is waited for, not doubled.
      if (it->second.check_id == 0) submit.push_back(s.Begin(token, it->second, now));
    }
  }
  for (Shared::Ticket& ticket : submit) s.Submit(std::move(ticket));
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait_until(lock, until, [&] {
    return std::all_of(awaited.begin(), awaited.end(), [&](const auto& entry) {
      auto it = s.states.find(entry.first);
      return it == s.states.end() || it->second.checks_ended >= entry.second;
    });
  });
  ++s.rounds;
  lock.unlock();
  s.cv.notify_all();
}

void HealthMonitor::Start() {
  std::lock_guard<std::mutex> guard(thread_mu_);
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->stop = false;
  }
  thread_ = std::thread([this] { Loop(); });
  pthread_setname_np(thread_.native_handle(), "xks-health");
}

void HealthMonitor::Stop() {
  std::lock_guard<std::mutex> guard(thread_mu_);
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->stop = true;
  }
  shared_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Loop() {
  Shared& s = *shared_;
  for (;;) {
    const auto next = s.SubmitDueChecks();
    // Sleeps in real time for what the injected clock says is left (tests that drive the clock by
    // hand are noticed at the next wake-up); a check's end or SetTokens wakes it early.
    auto wait = s.options.interval;
    if (next) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - s.clock());
      wait = std::clamp(left, std::chrono::milliseconds(0), s.options.interval);
    }
    std::unique_lock<std::mutex> lock(s.mu);
    s.cv.wait_for(lock, wait, [&s] { return s.stop || s.wake; });
    if (s.stop) return;
    s.wake = false;
  }
}

HealthStatus HealthMonitor::Status(std::string_view token_id) const {
  const Shared& s = *shared_;
  const auto now = s.clock();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.states.find(token_id);
  if (it == s.states.end() || !it->second.checked) return HealthStatus::kUnavailable;
  const Shared::TokenState& state = it->second;
  // A check not ended past its deadline has failed, whatever it returns later, unless live calls
  // have succeeded since that deadline (then only the check's session is stuck).
  if (state.check_started) {
    const auto overdue = *state.check_started + s.options.check_timeout;
    if (now > overdue && !(state.last_success && *state.last_success > overdue)) {
      return HealthStatus::kUnavailable;
    }
  }
  if (!state.ok) return HealthStatus::kUnavailable;
  if (now - state.checked_at > s.options.max_age) return HealthStatus::kUnavailable;
  if (state.latency > s.options.degraded_latency) return HealthStatus::kDegraded;
  return HealthStatus::kActive;
}

void HealthMonitor::NoteOutcome(std::string_view token_id, HsmOutcome outcome) {
  Shared& s = *shared_;
  if (outcome == HsmOutcome::kClientError || s.options.live_failure_run <= 0) return;
  const auto now = s.clock();
  bool turned_failed = false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.states.find(token_id);
    if (it == s.states.end()) return;
    Shared::TokenState& state = it->second;
    if (outcome == HsmOutcome::kSuccess) {
      state.failure_run = 0;
      state.ok = true;
      state.last_success = now;
      return;
    }
    turned_failed = s.NoteFailure(state, now);
    if (turned_failed) s.wake = true;  // the token is probed at probe_interval from now on
  }
  if (turned_failed) s.cv.notify_all();
}

std::uint64_t HealthMonitor::rounds_completed() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->rounds;
}

void HealthMonitor::WaitForRounds(std::uint64_t n) const {
  std::unique_lock<std::mutex> lock(shared_->mu);
  shared_->cv.wait(lock, [&] { return shared_->rounds >= n; });
}

}  // namespace xks::api
