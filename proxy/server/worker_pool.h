#pragma once
// A fixed set of threads draining a bounded FIFO queue. Full queue = back-pressure: TrySubmit
// refuses at once instead of waiting, so an I/O thread never blocks on it.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace xks::server {

/// Thread-safe. Jobs must not throw (the pool does not catch; an escaping exception terminates).
class WorkerPool {
 public:
  using Job = std::function<void()>;

  /// Starts `threads` (at least 1) threads. `queue_limit` bounds jobs waiting, not running.
  WorkerPool(int threads, std::size_t queue_limit);
  /// Calls Stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `job` and returns true, or returns false at once (job not run, not kept) when the
  /// queue holds queue_limit jobs or the pool is stopping.
  bool TrySubmit(Job job);

  /// Refuses new jobs, runs every job already queued, joins the threads. Idempotent. Must not be
  /// called from a job.
  void Stop();

  /// Jobs waiting right now (a snapshot).
  std::size_t queued() const;

 private:
  void Run();

  const std::size_t queue_limit_;
  std::mutex join_mutex_;  // Stop() may race with the destructor's Stop()
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace xks::server
