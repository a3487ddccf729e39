#pragma once
// Answers on time what the HSM does not: a key operation whose work is still queued for its token
// or stuck inside a hung PKCS#11 call when its deadline passes must still be answered (503
// DependencyTimeoutException within the time budget, issue 14), although the thread that would
// answer it is blocked. XksService registers each scheduled request here; one thread looks at the
// earliest deadlines every `tick` and hands each request that is past its deadline and still
// alive to the service's handler, which answers it unless the normal path already did (the two
// race on a claim in the request).
//
// Entries hold only a weak reference: a request answered in time is gone when its deadline comes,
// and its entry is dropped unseen. Cost per request: one heap insertion under a short mutex; the
// thread wakes once per tick, not once per request.
//
// Thread safety: every member is thread-safe. The handler runs on the watch's thread (or on the
// caller of ExpireDue) and must not block. The destructor stops the thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "proxy/api/health_monitor.h"
#include "proxy/api/key_backend.h"

namespace xks::api {

class DeadlineWatch {
 public:
  /// Called once per registered entry still alive after its deadline.
  using Handler = std::function<void(std::shared_ptr<void> target)>;

  struct Options {
    std::chrono::milliseconds tick{10};  ///< how late past its deadline an entry may be seen
    bool start_thread = true;            ///< false: only ExpireDue (tests drive the clock)
  };

  DeadlineWatch(SteadyClock clock, Handler handler, Options options);
  ~DeadlineWatch();
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;

  /// Hands `target` to the handler once `when` has passed, if it still exists then.
  void Add(Deadline when, std::weak_ptr<void> target);

  /// Hands every entry due now to the handler, on this thread. Returns how many were alive.
  std::size_t ExpireDue();

  /// Entries not yet due (for tests).
  std::size_t pending() const;

 private:
  struct Entry {
    Deadline when;
    std::weak_ptr<void> target;
    bool operator>(const Entry& other) const { return when > other.when; }
  };
  void Loop();

  const SteadyClock clock_;
  const Handler handler_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> entries_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace xks::api
