#include "proxy/server/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace xks::server {

WorkerPool::WorkerPool(int threads, std::size_t queue_limit, std::size_t low_queue_limit)
    : queue_limit_(queue_limit),
      low_queue_limit_(low_queue_limit),
      max_low_running_(
          std::max<std::size_t>(1, static_cast<std::size_t>(std::max(threads, 1)) / 2)) {
  const int count = threads < 1 ? 1 : threads;
  threads_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this] { Run(); });
    pthread_setname_np(threads_.back().native_handle(), "xks-worker");
  }
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::TrySubmit(Job job, RequestPriority priority) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (priority == RequestPriority::kLow) {
      if (low_.size() >= low_queue_limit_) return false;
      low_.push_back(std::move(job));
    } else {
      if (normal_.size() >= queue_limit_) return false;
      normal_.push_back(std::move(job));
    }
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  std::lock_guard join_lock(join_mutex_);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return normal_.size() + low_.size();
}

std::size_t WorkerPool::queued(RequestPriority priority) const {
  std::lock_guard lock(mutex_);
  return priority == RequestPriority::kLow ? low_.size() : normal_.size();
}

bool WorkerPool::HasRunnableJob() const {
  return !normal_.empty() || (!low_.empty() && low_running_ < max_low_running_);
}

void WorkerPool::Run() {
  for (;;) {
    Job job;
    bool low = false;
    {
      std::unique_lock lock(mutex_);
      // Drain before exiting: a queued job owns a client waiting for its answer. A kLow job held
      // back by the running limit is taken once a running one finishes (it notifies).
      cv_.wait(lock, [this] {
        return HasRunnableJob() || (stopping_ && normal_.empty() && low_.empty());
      });
      if (!normal_.empty()) {
        job = std::move(normal_.front());
        normal_.pop_front();
      } else if (!low_.empty() && low_running_ < max_low_running_) {
        job = std::move(low_.front());
        low_.pop_front();
        low = true;
        ++low_running_;
      } else {
        // Stopping with both lanes empty. A worker that waited on the kLow running limit may
        // have missed Stop()'s notification while its predicate was false: wake it to exit too.
        lock.unlock();
        cv_.notify_all();
        return;
      }
    }
    job();
    if (low) {
      bool wake = false;
      {
        std::lock_guard lock(mutex_);
        --low_running_;
        wake = !low_.empty();
      }
      if (wake) cv_.notify_one();
    }
  }
}

}  // namespace xks::server
