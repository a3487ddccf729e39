#pragma once
// The interface the request path uses to record an event. Implemented by the audit log writer
// (hash chain, group commit, signed checkpoints) and by test doubles.

#include <cstdint>
#include <functional>

#include "proxy/audit/audit_event.h"
#include "proxy/common/error.h"

namespace xks::audit {

class AuditSink {
 public:
  virtual ~AuditSink() = default;

  /// Appends one record and returns only once it is as durable as the configured mode requires
  /// (`fsync`: on disk; `write`: handed to the kernel). Returns the record's sequence number.
  /// Thread-safe; blocks the calling (worker) thread, never an I/O thread.
  /// Errors: ErrorName::kInternal when the log cannot be written (the caller fails closed).
  virtual ProxyResult<std::uint64_t> Append(const AuditEvent& event) = 0;

  /// What AppendAsync calls once the record is as durable as Append would have waited for (or
  /// failed): on the writer's thread, so it must be quick and must not block or throw (post the
  /// rest of the work elsewhere). Called exactly once.
  using AppendCallback = std::function<void(ProxyResult<std::uint64_t>)>;

  /// Append without a waiting thread: the caller's request becomes a small pending record, and
  /// the group commit that makes it durable completes it through `done`. Same durability and
  /// errors as Append. Thread-safe; never blocks. The default runs Append and calls `done` on
  /// the calling thread (for sinks with nothing to wait for, such as test doubles).
  virtual void AppendAsync(const AuditEvent& event, AppendCallback done) { done(Append(event)); }

  /// Queues a record without waiting for it to be durable, and never blocks. For events no
  /// response waits on: requests refused on an I/O thread (throttled, timed out, oversized).
  /// Thread-safe. A record that cannot be written is counted and makes Healthy() false.
  virtual void AppendNoWait(AuditEvent event) = 0;

  /// True while records can be written; health reports DEGRADED/UNAVAILABLE otherwise.
  virtual bool Healthy() const = 0;
};

}  // namespace xks::audit
