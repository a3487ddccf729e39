#pragma once
// How often one token may re-initialize its module for its own fatal errors. A re-initialization
// (C_Finalize + C_Initialize) is module-wide: every token on the module loses its sessions. That
// is the cure for a module finalised underneath or a device that came back, but one slot with a
// device error on every call would otherwise re-initialize the module on every request, and
// every other token on the module (the other members of a fleet, often one vendor library with a
// slot per appliance) would lose its sessions again and again. So: a token whose fault persists
// right after a re-initialization it asked for waits before asking again, 1 s, doubling to 30 s;
// its first success ends the backoff.
//
// Thread safety: every member is thread-safe. NoteSuccess is one relaxed atomic load when no
// re-initialization is pending (the hot path).

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>

namespace xks::pkcs11 {

class ReinitBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kInitialDelay{1000};
  static constexpr std::chrono::milliseconds kMaxDelay{30000};

  /// `now` empty: the steady clock (tests inject one).
  explicit ReinitBackoff(std::function<Clock::time_point()> now = {}) : now_(std::move(now)) {}

  /// Whether this token may re-initialize its module now; when true, the attempt is counted.
  bool MayReinitialize();
  /// A call of this token succeeded: the last re-initialization (if any) cured it.
  void NoteSuccess() {
    if (pending_.load(std::memory_order_relaxed)) Reset();
  }

 private:
  void Reset();
  Clock::time_point Now() const { return now_ ? now_() : Clock::now(); }

  const std::function<Clock::time_point()> now_;
  std::atomic<bool> pending_{false};  // a re-initialization was asked for, no success since
  std::mutex mu_;
  Clock::time_point next_allowed_{};
  std::chrono::milliseconds delay_{kInitialDelay};
};

}  // namespace xks::pkcs11
