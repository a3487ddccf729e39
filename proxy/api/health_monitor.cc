#include "proxy/api/health_monitor.h"

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
  for (auto it = results_.begin(); it != results_.end();) {
    it = keep.count(it->first) ? std::next(it) : results_.erase(it);
  }
  tokens_ = std::move(token_ids);
}

void HealthMonitor::CheckNow() {
  std::lock_guard<std::mutex> round(round_mu_);
  std::vector<std::string> tokens;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tokens = tokens_;
  }
  for (const std::string& token : tokens) {
    const auto start = clock_();
    auto r = backend_.CheckTokenHealth(token, start + options_.check_timeout);
    const auto end = clock_();
    if (!r.ok()) {
      logger_->Log(LogLevel::kWarning, "health check failed token=" + token + " error=" +
                                           std::string(ErrorNameString(r.error().name)) +
                                           " detail=" + r.error().log_detail);
    }
    std::lock_guard<std::mutex> lock(mu_);
    // A token removed by SetTokens while it was being checked must not reappear.
    if (std::find(tokens_.begin(), tokens_.end(), token) == tokens_.end()) continue;
    results_[token] = Result{r.ok(), end, end - start};
  }
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
  std::lock_guard<std::mutex> lock(mu_);
  auto it = results_.find(token_id);
  if (it == results_.end()) return HealthStatus::kUnavailable;
  const Result& r = it->second;
  if (!r.ok) return HealthStatus::kUnavailable;
  if (clock_() - r.checked_at > options_.max_age) return HealthStatus::kUnavailable;
  if (r.latency > options_.degraded_latency) return HealthStatus::kDegraded;
  return HealthStatus::kActive;
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
