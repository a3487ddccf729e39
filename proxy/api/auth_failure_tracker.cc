#include "proxy/api/auth_failure_tracker.h"

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
  if (current_.size() < options_.capacity) current_.emplace(address);
}

bool AuthFailureTracker::RecentlyFailed(std::string_view address) const {
  const std::string key(address);
  std::lock_guard lock(mu_);
  TurnGenerations();
  return current_.contains(key) || previous_.contains(key);
}

}  // namespace xks::api
