#include "proxy/api/deadline_watch.h"

#include <pthread.h>

#include <utility>

namespace xks::api {

DeadlineWatch::DeadlineWatch(SteadyClock clock, Handler handler, Options options)
    : clock_(std::move(clock)), handler_(std::move(handler)), options_(options) {
  if (options_.start_thread) {
    thread_ = std::thread([this] { Loop(); });
    pthread_setname_np(thread_.native_handle(), "xks-deadlines");
  }
}

DeadlineWatch::~DeadlineWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeadlineWatch::Add(Deadline when, std::weak_ptr<void> target) {
  std::lock_guard lock(mu_);
  entries_.push(Entry{when, std::move(target)});
}

std::size_t DeadlineWatch::ExpireDue() {
  const Deadline now = clock_();
  std::vector<std::weak_ptr<void>> due;
  {
    std::lock_guard lock(mu_);
    while (!entries_.empty() && entries_.top().when <= now) {
      due.push_back(entries_.top().target);
      entries_.pop();
    }
  }
  std::size_t alive = 0;
  for (std::weak_ptr<void>& entry : due) {
    if (std::shared_ptr<void> target = entry.lock()) {
      ++alive;
      handler_(std::move(target));
    }
  }
  return alive;
}

std::size_t DeadlineWatch::pending() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void DeadlineWatch::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, options_.tick, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    ExpireDue();
    lock.lock();
  }
}

}  // namespace xks::api
