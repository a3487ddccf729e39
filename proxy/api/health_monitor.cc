#include "proxy/api/health_monitor.h"

#include <pthread.h>

#include <algorithm>
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

HealthMonitor::HealthMonitor(KeyBackend& backend, HealthMonitorOptions options, SteadyClock clock,
                             Logger* logger)
    : backend_(backend),
      options_(options),
      clock_(std::move(clock)),
      logger_(logger != nullptr ? logger : &DefaultLogger()) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::SetTokens(std::vector<std::string> token_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string, std::less<>> keep(token_ids.begin(), token_ids.end());
  for (auto it = states_.begin(); it != states_.end();) {
    it = keep.count(it->first) ? std::next(it) : states_.erase(it);
  }
  // New tokens get a state at once, so live outcomes count before their first check.
  for (const std::string& token : token_ids) states_.try_emplace(token);
  tokens_ = std::move(token_ids);
}

void HealthMonitor::CheckToken(const std::string& token) {
  const auto start = clock_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = states_.find(token);
    if (it == states_.end()) return;  // removed by SetTokens since the round began
    // Published before the call, so Status() can tell a check that hangs in the HSM.
    it->second.check_started = start;
  }
  auto r = backend_.CheckTokenHealth(token, start + options_.check_timeout);
  const auto end = clock_();
  if (!r.ok()) {
    logger_->Log(LogLevel::kWarning, "health check failed token=" + token +
                                         " error=" + std::string(ErrorNameString(r.error().name)) +
                                         " detail=" + r.error().log_detail);
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A token removed by SetTokens while it was being checked must not reappear.
  auto it = states_.find(token);
  if (it == states_.end()) return;
  TokenState& state = it->second;
  state.check_started.reset();
  state.checked = true;
  state.ok = r.ok();
  state.checked_at = end;
  state.latency = end - start;
  if (r.ok()) state.failure_run = 0;
}

void HealthMonitor::CheckNow() {
  std::lock_guard<std::mutex> round(round_mu_);
  std::vector<std::string> tokens;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tokens = tokens_;
  }
  for (const std::string& token : tokens) CheckToken(token);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++rounds_;
  }
  cv_.notify_all();
}

void HealthMonitor::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
  pthread_setname_np(thread_.native_handle(), "xks-health");
}

void HealthMonitor::Stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

void HealthMonitor::Loop() {
  for (;;) {
    CheckNow();
    std::unique_lock<std::mutex> lock(mu_);
    // Real time on purpose: the injected clock only stamps results.
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
    if (stop_) return;
  }
}

HealthStatus HealthMonitor::Status(std::string_view token_id) const {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(token_id);
  if (it == states_.end() || !it->second.checked) return HealthStatus::kUnavailable;
  const TokenState& s = it->second;
  // A check still inside the HSM past its deadline has failed, whatever it returns later, unless
  // live calls have succeeded since that deadline (then only the check's session is stuck).
  if (s.check_started) {
    const TimePoint overdue = *s.check_started + options_.check_timeout;
    if (now > overdue && !(s.last_success && *s.last_success > overdue)) {
      return HealthStatus::kUnavailable;
    }
  }
  if (!s.ok) return HealthStatus::kUnavailable;
  if (now - s.checked_at > options_.max_age) return HealthStatus::kUnavailable;
  if (s.latency > options_.degraded_latency) return HealthStatus::kDegraded;
  return HealthStatus::kActive;
}

void HealthMonitor::NoteOutcome(std::string_view token_id, HsmOutcome outcome) {
  if (outcome == HsmOutcome::kClientError || options_.live_failure_run <= 0) return;
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(token_id);
  if (it == states_.end()) return;
  TokenState& state = it->second;
  if (outcome == HsmOutcome::kSuccess) {
    state.failure_run = 0;
    state.ok = true;
    state.last_success = now;
    return;
  }
  NoteFailure(state, now);
}

void HealthMonitor::NoteFailure(TokenState& state, TimePoint now) {
  // A run whose first failure is older than the window starts over with this one.
  if (state.failure_run == 0 || now - state.run_started > options_.live_failure_window) {
    state.failure_run = 0;
    state.run_started = now;
  }
  ++state.failure_run;
  if (state.failure_run >= options_.live_failure_run) state.ok = false;
}

std::uint64_t HealthMonitor::rounds_completed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rounds_;
}

void HealthMonitor::WaitForRounds(std::uint64_t n) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return rounds_ >= n; });
}

}  // namespace xks::api
