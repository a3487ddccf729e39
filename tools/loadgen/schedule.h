#pragma once
// The open-loop timetable: request k of a worker is due at start + offset + k * interval, whatever
// happened to the requests before it. Latency is measured from that intended time, so a request
// that waits for a free connection (or behind a slow one) pays the wait: queueing in the system
// under test is not hidden (no coordinated omission). With W workers sharing a total rate R, each
// worker runs at R/W with offset w/R, which interleaves their timetables into one of rate R.
//
// Pure arithmetic on time points; the worker's timer asks it what is due. Thread safety: a value.

#include <chrono>
#include <cstdint>

namespace xks::loadgen {

using Clock = std::chrono::steady_clock;

class OpenLoopSchedule {
 public:
  /// `rate` requests per second in total over `workers` workers; this one is number `worker`.
  OpenLoopSchedule(Clock::time_point start, double rate, int workers, int worker);

  /// The intended send time of this worker's request k (k = 0, 1, ...).
  Clock::time_point IntendedTime(std::uint64_t k) const;
  /// How many of this worker's requests are due at `now` (intended time <= now): the k of the
  /// first request not yet due.
  std::uint64_t DueCount(Clock::time_point now) const;
  /// Nanoseconds between two of this worker's requests.
  double interval_ns() const { return interval_ns_; }

 private:
  Clock::time_point start_;
  double interval_ns_;
  double offset_ns_;
};

}  // namespace xks::loadgen
