#pragma once
// Where one token's HSM work runs. A PKCS#11 call blocks its thread until the HSM answers, so the
// number of calls a token has in flight is the number of threads waiting on it: each token gets
// its own threads, as many as the sessions it may open (hsm.tokens[].max_sessions: a network HSM
// wants tens, SoftHSM one or two), and its own bounded queue. A slow or hung token then fills its
// own queue only; the server's workers and every other token keep going.
//
// Overload is shed at the door, not after the wait: a task is refused at once when the queue is
// full or when the wait ahead of it (queued tasks × the recent service time ÷ threads) would carry
// it past its deadline. Accepted tasks are then served well inside their budget, so successful
// throughput holds at capacity instead of collapsing into timeouts. A task that still outlived
// its deadline in the queue (the HSM slowed down after it was admitted) is started with kExpired
// and answers without touching the HSM.
//
// Thread safety: every member is thread-safe. The destructor may run on one of the executor's own
// threads (a task dropping the last reference to its token during a reload). It joins the other
// threads once they are done, waiting at most 2 s: a thread stuck in a hung HSM call cannot be
// interrupted, and is then detached (it owns everything it touches).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace xks::runtime {

class TokenExecutor {
 public:
  using Clock = std::chrono::steady_clock;
  using NowFunction = std::function<Clock::time_point()>;

  /// How a task is called: exactly once, with one of these.
  enum class Outcome {
    kRun,                ///< on an executor thread: do the work
    kExpired,            ///< on an executor thread: its deadline passed while it waited
    kStopped,            ///< the executor stopped (token reconfigured, shutdown) before it ran
    kQueueFull,          ///< refused at once, on the submitter's thread: queue_limit tasks wait
                         ///< for a thread
    kWouldMissDeadline,  ///< refused at once: the predicted wait plus its own run ends too late
  };
  /// Only kRun may use the HSM; every other outcome answers without it.
  using Task = std::function<void(Outcome)>;

  struct Options {
    std::string name;               ///< thread name prefix (at most 15 characters are kept)
    std::size_t threads = 2;        ///< tasks run at once, >= 1
    std::size_t queue_limit = 256;  ///< tasks waiting for a thread, >= 1
    NowFunction now;                ///< the clock; empty: steady_clock (tests inject one)
  };

  /// Point-in-time figures (for tests, logs and metrics).
  struct Stats {
    std::size_t threads = 0;
    std::size_t queued = 0;
    std::size_t running = 0;
    std::uint64_t completed = 0;  ///< tasks started with kRun that returned
    std::uint64_t expired = 0;    ///< started with kExpired
    std::uint64_t refused_queue_full = 0;
    std::uint64_t refused_deadline = 0;
    std::chrono::nanoseconds service_time{};  ///< moving average of kRun tasks (0 before one)
  };

  explicit TokenExecutor(Options options);
  ~TokenExecutor();
  TokenExecutor(const TokenExecutor&) = delete;
  TokenExecutor& operator=(const TokenExecutor&) = delete;

  /// Queues `task` to start before `deadline` and returns true; or calls it at once, on this
  /// thread, with the refusal (kQueueFull, kWouldMissDeadline, kStopped) and returns false.
  /// `task` must not throw.
  bool Submit(Task task, Clock::time_point deadline);

  /// Refuses new tasks (kStopped), and calls every queued one with kStopped on this thread.
  /// Running tasks finish on their own threads. Idempotent.
  void Stop();

  /// Waits until nothing runs or waits, or until `until`; true when idle.
  bool WaitIdle(Clock::time_point until);

  Stats stats() const;

 private:
  struct State;
  static void RunLoop(std::shared_ptr<State> state);

  // Shared with the threads: a thread that outlives this object (destroyed from one of its tasks,
  // or stuck in a hung HSM call) still has everything it touches.
  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace xks::runtime
