#pragma once
// A bounded pool of PKCS#11 sessions on one token, handed out as RAII leases. Internal to pkcs11/.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/module.h"

namespace xks::pkcs11 {

/// An open session and the module generation it was opened under.
struct PooledSession {
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  std::uint64_t generation = 0;
};

/// Thread-safe. At most `max_sessions` sessions are open (idle + leased) at once. Sessions from an
/// older module generation are dropped without C_CloseSession: after C_Finalize their handle
/// numbers may already belong to new sessions.
class SessionPool {
 public:
  /// Opens and logs in one new session on the token (called without the pool lock held).
  using Opener = std::function<HsmResult<PooledSession>()>;

  /// A leased session. Returned to the pool on destruction, or closed if marked broken. Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { Release(); }
    CK_SESSION_HANDLE handle() const { return session_.handle; }
    std::uint64_t generation() const { return session_.generation; }
    /// The session is unusable or may carry an unfinished operation: close it instead of reusing
    /// it.
    void MarkBroken() { broken_ = true; }
    /// Returns the session now (idempotent).
    void Release();

   private:
    friend class SessionPool;
    Lease(SessionPool* pool, PooledSession session) : pool_(pool), session_(session) {}
    SessionPool* pool_ = nullptr;
    PooledSession session_;
    bool broken_ = false;
  };

  SessionPool(std::shared_ptr<Module> module, std::size_t max_sessions, Opener opener);
  /// Closes idle sessions. All leases must have been released.
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  /// An idle session of the current generation, else a newly opened one if below the limit, else
  /// waits until `deadline` for a release. Errors: kTimeout, or the opener's error, returned at
  /// once: kBusy when the HSM refuses another session (CKR_SESSION_COUNT) is back-pressure for
  /// the caller, and the next Acquire tries to open one again (so serving resumes by itself).
  HsmResult<Lease> Acquire(Deadline deadline);

  /// Sessions open right now (idle + leased). For tests and metrics.
  std::size_t open_sessions() const;

 private:
  void Return(PooledSession session, bool broken);

  std::shared_ptr<Module> module_;
  const std::size_t max_sessions_;
  Opener opener_;
  mutable std::mutex mu_;
  std::condition_variable released_;
  std::vector<PooledSession> idle_;  // LIFO: the most recently used session is the warmest
  std::size_t open_ = 0;
};

}  // namespace xks::pkcs11
