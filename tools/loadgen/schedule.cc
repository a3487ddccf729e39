#include "tools/loadgen/schedule.h"

#include <cmath>

namespace xks::loadgen {

OpenLoopSchedule::OpenLoopSchedule(Clock::time_point start, double rate, int workers, int worker)
    : start_(start),
      interval_ns_(1e9 * static_cast<double>(workers) / rate),
      offset_ns_(1e9 * static_cast<double>(worker) / rate) {}

Clock::time_point OpenLoopSchedule::IntendedTime(std::uint64_t k) const {
  // Computed from k each time, not by adding intervals, so rounding never accumulates.
  const double ns = offset_ns_ + static_cast<double>(k) * interval_ns_;
  return start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

std::uint64_t OpenLoopSchedule::DueCount(Clock::time_point now) const {
  const double elapsed =
      std::chrono::duration<double, std::nano>(now - start_).count() - offset_ns_;
  if (elapsed < 0) return 0;
  auto k = static_cast<std::uint64_t>(std::floor(elapsed / interval_ns_)) + 1;
  // The floating-point estimate may be one off at an exact boundary: settle it on IntendedTime.
  while (k > 0 && IntendedTime(k - 1) > now) --k;
  while (IntendedTime(k) <= now) ++k;
  return k;
}

}  // namespace xks::loadgen
