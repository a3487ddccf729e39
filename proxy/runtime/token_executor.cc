#include "proxy/runtime/token_executor.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace xks::runtime {
namespace {

// Weight of the newest task in the moving average of service times: recent enough to follow an
// HSM that slows down within a few dozen calls, smooth enough that one outlier does not shed.
constexpr double kServiceTimeWeight = 1.0 / 8;

// How long the destructor waits for the threads to leave their loop before joining them. Joined,
// a thread has run its thread-local destructors (OpenSSL's, the module's) before the executor is
// gone; a thread stuck in a hung HSM call cannot be interrupted, so past this it is detached.
constexpr std::chrono::seconds kJoinWait{2};

}  // namespace

struct TokenExecutor::State {
  struct Item {
    Task task;
    Clock::time_point deadline;
  };

  State(std::size_t threads_in, std::size_t queue_limit_in, NowFunction now_in)
      : threads(std::max<std::size_t>(1, threads_in)),
        queue_limit(std::max<std::size_t>(1, queue_limit_in)),
        now(std::move(now_in)) {}

  Clock::time_point Now() const { return now ? now() : Clock::now(); }

  const std::size_t threads;
  const std::size_t queue_limit;
  const NowFunction now;
  mutable std::mutex mu;
  std::condition_variable work_ready;
  std::condition_variable idle;
  std::deque<Item> queue;
  std::size_t running = 0;
  std::size_t looping = 0;  // threads not yet out of RunLoop
  std::condition_variable ended;
  bool stopping = false;
  double service_ns = 0;  // moving average; 0 until the first kRun task returned
  Stats counters;
};

TokenExecutor::TokenExecutor(Options options)
    : state_(
          std::make_shared<State>(options.threads, options.queue_limit, std::move(options.now))) {
  const std::string name = options.name.substr(0, 15);  // the kernel keeps 15 bytes
  state_->looping = state_->threads;                    // before any thread runs
  threads_.reserve(state_->threads);
  for (std::size_t i = 0; i < state_->threads; ++i) {
    threads_.emplace_back(&TokenExecutor::RunLoop, state_);
    if (!name.empty()) pthread_setname_np(threads_.back().native_handle(), name.c_str());
  }
}

TokenExecutor::~TokenExecutor() {
  Stop();
  const std::thread::id self = std::this_thread::get_id();
  const bool on_own_thread = std::any_of(threads_.begin(), threads_.end(),
                                         [&](const std::thread& t) { return t.get_id() == self; });
  bool ended = false;
  {
    std::unique_lock lock(state_->mu);
    ended = state_->ended.wait_for(lock, kJoinWait, [&] {
      return state_->looping == (on_own_thread ? 1u : 0u);  // our own is still in its task
    });
  }
  for (std::thread& thread : threads_) {
    if (ended && thread.get_id() != self) {
      thread.join();
    } else {
      thread.detach();  // runs on with the state it shares
    }
  }
}

bool TokenExecutor::Submit(Task task, Clock::time_point deadline) {
  State& s = *state_;
  const Clock::time_point now = s.Now();
  const Outcome refusal = [&] {
    std::lock_guard lock(s.mu);
    if (s.stopping) return Outcome::kStopped;
    // Queued tasks that an idle thread is about to take do not count against the limit.
    if (s.running + s.queue.size() >= s.threads + s.queue_limit) {
      ++s.counters.refused_queue_full;
      return Outcome::kQueueFull;
    }
    if (s.running + s.queue.size() >= s.threads && s.service_ns > 0) {
      // Every thread is taken: the tasks ahead drain `threads` at a time, then this one runs.
      const std::size_t ahead = s.running + s.queue.size() - s.threads + 1;
      const double waves = static_cast<double>(ahead) / static_cast<double>(s.threads);
      const auto expected =
          std::chrono::nanoseconds(static_cast<std::int64_t>(s.service_ns * (waves + 1.0)));
      if (now + expected > deadline) {
        ++s.counters.refused_deadline;
        return Outcome::kWouldMissDeadline;
      }
    }
    s.queue.push_back({std::move(task), deadline});
    return Outcome::kRun;
  }();
  if (refusal != Outcome::kRun) {
    task(refusal);  // not moved from: it was not queued
    return false;
  }
  s.work_ready.notify_one();
  return true;
}

void TokenExecutor::Stop() {
  State& s = *state_;
  std::deque<State::Item> abandoned;
  {
    std::lock_guard lock(s.mu);
    if (s.stopping) return;
    s.stopping = true;
    abandoned.swap(s.queue);
  }
  s.work_ready.notify_all();
  s.idle.notify_all();
  for (State::Item& item : abandoned) item.task(Outcome::kStopped);
}

bool TokenExecutor::WaitIdle(Clock::time_point until) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  return s.idle.wait_until(lock, until, [&] { return s.running == 0 && s.queue.empty(); });
}

TokenExecutor::Stats TokenExecutor::stats() const {
  const State& s = *state_;
  std::lock_guard lock(s.mu);
  Stats out = s.counters;
  out.threads = s.threads;
  out.queued = s.queue.size();
  out.running = s.running;
  out.service_time = std::chrono::nanoseconds(static_cast<std::int64_t>(s.service_ns));
  return out;
}

void TokenExecutor::RunLoop(std::shared_ptr<State> state) {
  State& s = *state;
  std::unique_lock lock(s.mu);
  for (;;) {
    s.work_ready.wait(lock, [&] { return s.stopping || !s.queue.empty(); });
    if (s.queue.empty()) {  // stopping, and Stop() took the queue
      --s.looping;
      s.ended.notify_all();
      return;
    }
    State::Item item = std::move(s.queue.front());
    s.queue.pop_front();
    ++s.running;
    lock.unlock();

    const Clock::time_point started = s.Now();
    const Outcome outcome = started >= item.deadline ? Outcome::kExpired : Outcome::kRun;
    item.task(outcome);
    item.task = nullptr;  // whatever the task holds goes now, not with the next task
    const auto elapsed = std::chrono::duration<double, std::nano>(s.Now() - started).count();

    lock.lock();
    --s.running;
    if (outcome == Outcome::kRun) {
      ++s.counters.completed;
      s.service_ns = s.service_ns == 0
                         ? elapsed
                         : s.service_ns + kServiceTimeWeight * (elapsed - s.service_ns);
    } else {
      ++s.counters.expired;
    }
    if (s.running == 0 && s.queue.empty()) s.idle.notify_all();
  }
}

}  // namespace xks::runtime
