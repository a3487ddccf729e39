#include "pkcs11/reinit_backoff.h"

#include <algorithm>

namespace xks::pkcs11 {

bool ReinitBackoff::MayReinitialize() {
  std::lock_guard lock(mu_);
  const Clock::time_point now = Now();
  if (pending_.load(std::memory_order_relaxed)) {
    if (now < next_allowed_) return false;
    delay_ = std::min(delay_ * 2, kMaxDelay);  // the last one did not help
  } else {
    delay_ = kInitialDelay;
  }
  next_allowed_ = now + delay_;
  pending_.store(true, std::memory_order_relaxed);
  return true;
}

void ReinitBackoff::Reset() {
  std::lock_guard lock(mu_);
  pending_.store(false, std::memory_order_relaxed);
  delay_ = kInitialDelay;
}

}  // namespace xks::pkcs11
