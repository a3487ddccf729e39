#include "pkcs11/session_pool.h"

#include <utility>

namespace xks::pkcs11 {

SessionPool::Lease& SessionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    session_ = other.session_;
    broken_ = other.broken_;
  }
  return *this;
}

void SessionPool::Lease::Release() {
  if (pool_ == nullptr) return;
  std::exchange(pool_, nullptr)->Return(session_, broken_);
}

SessionPool::SessionPool(std::shared_ptr<Module> module, std::size_t max_sessions, Opener opener)
    : module_(std::move(module)), max_sessions_(max_sessions), opener_(std::move(opener)) {}

SessionPool::~SessionPool() {
  const std::uint64_t generation = module_->generation();
  for (const PooledSession& s : idle_) {
    if (s.generation == generation) (void)XKS_CK(*module_, C_CloseSession, s.handle);
  }
}

std::size_t SessionPool::open_sessions() const {
  std::lock_guard lock(mu_);
  return open_;
}

HsmResult<SessionPool::Lease> SessionPool::Acquire(Deadline deadline) {
  std::unique_lock lock(mu_);
  for (;;) {
    const std::uint64_t generation = module_->generation();
    while (!idle_.empty()) {
      const PooledSession s = idle_.back();
      idle_.pop_back();
      if (s.generation == generation) return Lease(this, s);
      --open_;  // stale: its handle died with the old generation
    }
    if (open_ < max_sessions_) {
      ++open_;
      lock.unlock();
      auto opened = opener_();
      if (!opened.ok()) {
        lock.lock();
        --open_;
        released_.notify_one();
        return Fail(std::move(opened).error());
      }
      return Lease(this, opened.value());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Fail(MakeHsmError(HsmErrorKind::kTimeout, "no HSM session free before the deadline"));
    }
    released_.wait_until(lock, deadline);
  }
}

void SessionPool::Return(PooledSession session, bool broken) {
  const bool current = session.generation == module_->generation();
  if (current && !broken) {
    std::lock_guard lock(mu_);
    idle_.push_back(session);
    released_.notify_one();
    return;
  }
  // Close outside the lock; an old-generation handle is never closed (it may name a new session).
  if (current) (void)XKS_CK(*module_, C_CloseSession, session.handle);
  std::lock_guard lock(mu_);
  --open_;
  released_.notify_one();
}

}  // namespace xks::pkcs11
