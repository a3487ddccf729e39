#include "proxy/api/auth_failure_tracker.h"

#include <algorithm>
#include <utility>

namespace xks::api {

AuthFailureTracker::AuthFailureTracker(AuthFailureTrackerOptions options, SteadyClock clock)
    : options_(options), clock_(std::move(clock)), generation_start_(clock_()) {}

void AuthFailureTracker::TurnGenerations() const {
  const auto now = clock_();
  if (now - generation_start_ < options_.memory) return;
  // Every entry of `current_` was added within `memory` after generation_start_ (any call later
  // than that turns first), so it is kept one more generation unless that has passed too.
  if (now - generation_start_ >= 2 * options_.memory) {
    previous_.clear();
  } else {
    previous_ = std::move(current_);
  }
  current_.clear();
  generation_start_ = now;
}

void AuthFailureTracker::NoteFailure(std::string_view address) {
  std::lock_guard lock(mu_);
  TurnGenerations();
  const std::string key(address);
  if (auto it = current_.find(key); it != current_.end()) {
    if (it->second < UINT32_MAX) ++it->second;
  } else if (current_.size() < options_.capacity) {
    current_.emplace(key, 1);
  }
}

bool AuthFailureTracker::RecentlyFailed(std::string_view address) const {
  const std::string key(address);
  std::lock_guard lock(mu_);
  TurnGenerations();
  std::uint64_t failures = 0;
  if (auto it = current_.find(key); it != current_.end()) failures += it->second;
  if (auto it = previous_.find(key); it != previous_.end()) failures += it->second;
  return failures >= std::max<std::uint32_t>(1, options_.failures_to_demote);
}

}  // namespace xks::api
