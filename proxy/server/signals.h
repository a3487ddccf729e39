#pragma once
// Process signals for the proxy's main(): SIGTERM, SIGINT and SIGHUP are blocked and consumed by
// one dedicated thread that runs a callback per signal (TERM/INT → Shutdown, HUP → reload), so
// no work ever runs in an async-signal context.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/problem.h"
#include "base/result.h"

namespace xks::server {

class SignalWatcher {
 public:
  /// Called on the watcher thread with SIGTERM, SIGINT or SIGHUP; one call at a time, in arrival
  /// order. May block (e.g. Server::Shutdown) — later signals then wait.
  using Callback = std::function<void(int signal_number)>;

  /// Blocks the three signals in the calling thread — call it in main() before starting any other
  /// thread, so every thread inherits the mask — and starts the watcher. A failure is a Problem
  /// at "signals".
  static Result<std::unique_ptr<SignalWatcher>, Problem> Start(Callback callback);

  /// Stops and joins the watcher thread (within ~100 ms). The signals stay blocked: a signal
  /// arriving later stays pending instead of killing the process mid-teardown. Not from the
  /// callback.
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  explicit SignalWatcher(Callback callback);
  void Run();

  Callback callback_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace xks::server
