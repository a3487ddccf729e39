#pragma once
// Where AuditLog's AppendAsync completions run: a thread of their own, batch after batch in the
// order the batches became durable. A completion answers a request (hands the response to its
// connection) and writes its access-log line; run on the writer thread, a batch of 64 of them
// would delay the next write and fdatasync by as much as the flush itself. Here the writer hands
// the whole batch over and starts the next group commit at once.
//
// Thread safety: Post and Stop may be called from any thread. Completions must not throw; they may
// append again.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "proxy/audit/audit_sink.h"

namespace xks::audit {

class CompletionThread {
 public:
  using Completion = std::pair<AuditSink::AppendCallback, ProxyResult<std::uint64_t>>;

  CompletionThread();
  /// Stop()s.
  ~CompletionThread();
  CompletionThread(const CompletionThread&) = delete;
  CompletionThread& operator=(const CompletionThread&) = delete;

  /// Runs `batch` after every batch posted before it. After Stop(), runs it on this thread.
  void Post(std::vector<Completion> batch);

  /// Runs what is posted, then ends the thread. Idempotent.
  void Stop();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Completion>> batches_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace xks::audit
