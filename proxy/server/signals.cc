#include "proxy/server/signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

namespace xks::server {
namespace {

sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

Result<std::unique_ptr<SignalWatcher>, Problem> SignalWatcher::Start(Callback callback) {
  const sigset_t set = WatchedSignals();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return Fail(MakeProblem("signals", std::string("pthread_sigmask: ") + std::strerror(rc)));
  }
  std::unique_ptr<SignalWatcher> watcher(new SignalWatcher(std::move(callback)));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  return watcher;
}

SignalWatcher::SignalWatcher(Callback callback) : callback_(std::move(callback)) {}

SignalWatcher::~SignalWatcher() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void SignalWatcher::Run() {
  const sigset_t set = WatchedSignals();
  // A bounded wait rather than a wake-up signal of our own: the destructor needs no extra signal
  // number that could collide with the application's.
  const timespec tick{0, 100'000'000};
  while (!stop_.load()) {
    const int signal_number = sigtimedwait(&set, nullptr, &tick);
    if (signal_number < 0) continue;  // EAGAIN (tick) or EINTR
    if (callback_) callback_(signal_number);
  }
}

}  // namespace xks::server
