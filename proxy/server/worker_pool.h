#pragma once
// A fixed set of threads draining two bounded FIFO queues (lanes). Full lane = back-pressure:
// TrySubmit refuses at once instead of waiting, so an I/O thread never blocks on it.
//
// The kNormal lane is always served first. The kLow lane (requests the classifier could not tie
// to a tenant's credentials) has its own small queue and never holds more than half of the
// threads (at least one), so low-priority work can delay normal work by at most the one job a
// worker is already running, and only when there are fewer than two workers.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "proxy/server/request_priority.h"

namespace xks::server {

/// Thread-safe. Jobs must not throw (the pool does not catch; an escaping exception terminates).
class WorkerPool {
 public:
  using Job = std::function<void()>;

  /// Starts `threads` (at least 1) threads. `queue_limit` bounds kNormal jobs waiting (not
  /// running); `low_queue_limit` bounds kLow jobs waiting.
  WorkerPool(int threads, std::size_t queue_limit, std::size_t low_queue_limit);
  /// Calls Stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `job` in its lane and returns true, or returns false at once (job not run, not
  /// kept) when that lane holds its limit of waiting jobs or the pool is stopping.
  bool TrySubmit(Job job, RequestPriority priority = RequestPriority::kNormal);

  /// Refuses new jobs, runs every job already queued (both lanes), joins the threads.
  /// Idempotent. Must not be called from a job.
  void Stop();

  /// Jobs waiting right now in both lanes, or in one (snapshots).
  std::size_t queued() const;
  std::size_t queued(RequestPriority priority) const;

  /// How many kLow jobs may run at once: half of the threads, at least one.
  std::size_t max_low_running() const { return max_low_running_; }

 private:
  void Run();
  // With mutex_ held: whether a worker may take a job now.
  bool HasRunnableJob() const;

  const std::size_t queue_limit_;
  const std::size_t low_queue_limit_;
  const std::size_t max_low_running_;
  std::mutex join_mutex_;  // Stop() may race with the destructor's Stop()
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> normal_;
  std::deque<Job> low_;
  std::size_t low_running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace xks::server
