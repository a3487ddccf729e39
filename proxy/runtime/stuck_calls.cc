#include "proxy/runtime/stuck_calls.h"

#include <iterator>

namespace xks::runtime {

StuckCallLimiter::Admission::Admission(Admission&& other) noexcept
    : limiter_(other.limiter_), it_(other.it_) {
  other.limiter_ = nullptr;
}

StuckCallLimiter::Admission::~Admission() {
  if (limiter_ == nullptr) return;
  std::lock_guard<std::mutex> lock(limiter_->mu_);
  limiter_->in_flight_.erase(it_);
}

std::optional<StuckCallLimiter::Admission> StuckCallLimiter::Admit(TimePoint deadline,
                                                                   TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (StuckLocked(now) >= max_stuck_) return std::nullopt;
  return Admission(this, in_flight_.insert(deadline));
}

std::size_t StuckCallLimiter::Stuck(TimePoint now) const {
  std::lock_guard<std::mutex> lock(mu_);
  return StuckLocked(now);
}

std::size_t StuckCallLimiter::StuckLocked(TimePoint now) const {
  // Ordered by deadline: the stuck ones are the prefix before `now`. The set is at most the
  // token's workers large.
  return static_cast<std::size_t>(std::distance(in_flight_.begin(), in_flight_.lower_bound(now)));
}

}  // namespace xks::runtime
