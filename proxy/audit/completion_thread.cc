#include "proxy/audit/completion_thread.h"

#include <pthread.h>

#include "proxy/common/log.h"

namespace xks::audit {

namespace {

void Run(std::vector<CompletionThread::Completion>& batch) {
  {
    // The lines the callbacks log (one per request of a group commit) go out in a few writes.
    LogBatch lines;
    for (auto& [callback, result] : batch) callback(std::move(result));
  }
  batch.clear();  // what the callbacks held goes now
}

}  // namespace

CompletionThread::CompletionThread() : thread_([this] { Loop(); }) {
  pthread_setname_np(thread_.native_handle(), "audit-done");
}

CompletionThread::~CompletionThread() { Stop(); }

void CompletionThread::Post(std::vector<Completion> batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      batches_.push_back(std::move(batch));
      cv_.notify_one();
      return;
    }
  }
  Run(batch);
}

void CompletionThread::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CompletionThread::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !batches_.empty(); });
    if (batches_.empty()) {
      stopped_ = true;  // later posts run on their caller
      return;
    }
    std::vector<Completion> batch = std::move(batches_.front());
    batches_.pop_front();
    lock.unlock();
    Run(batch);
    lock.lock();
  }
}

}  // namespace xks::audit
