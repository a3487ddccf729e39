#pragma once
// AuditLog: the production AuditSink. One writer thread owns the files, the hash chain and the
// checkpoints; appenders queue events and either block until their record is durable (Append) or
// are called back once it is (AppendAsync: the request path, where a request waiting for its
// record holds no thread; the callbacks run on a completion thread, in order, while the writer
// starts the next batch). Group commit: everything queued since the last sync goes out in
// one write + fdatasync, so one flush completes every request waiting for it. Format and rules:
// docs/audit-format.md.
//
// Failure model: if a write or sync fails, the records of that batch are NOT acknowledged
// (Append returns ErrorName::kInternal), their bytes are truncated away, and the chain and
// sequence numbers roll back, so the chain stays continuous and only acknowledged records ever
// appear in it. Healthy() turns false; the writer re-probes every retry_interval (by writing a
// "recovery" checkpoint) and with every new batch, and turns healthy again by itself once a
// write succeeds. If the signer fails for longer than signer_grace while records are unsigned,
// new records are refused (fail closed) until a checkpoint succeeds.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "base/system_error.h"
#include "base/unique_fd.h"
#include "proxy/audit/audit_record.h"
#include "proxy/audit/audit_sink.h"
#include "proxy/audit/checkpoint_signer.h"
#include "proxy/audit/completion_thread.h"
#include "proxy/audit/file_ops.h"
#include "proxy/config/audit_config.h"

namespace xks::audit {

// The writer runs with the `audit` section of the one configuration schema (proxy/config).
using config::AuditConfig;
using config::Durability;
using config::Mirror;

/// Injectable collaborators; defaults are the real clock and POSIX file operations.
struct AuditLogDeps {
  std::shared_ptr<AuditClock> clock;
  std::shared_ptr<FileOps> file_ops;
  /// How long Open waits for another writer of the chain to release the directory lock
  /// (directory_lock.h): 0 for the proxy (a second proxy on one directory is a mistake to report
  /// at once), a few seconds for xksctl (another xksctl may be appending an event).
  std::chrono::milliseconds lock_wait{0};
};

/// Told how long each commit (write, and fdatasync with durability fsync) took, on the writer
/// thread (metrics); must be cheap and must not throw. Empty: nobody is told.
using FlushObserver = std::function<void(std::chrono::steady_clock::duration)>;

/// Counters for metrics and tests. Monotonic over the log's life.
struct AuditLogStats {
  std::uint64_t records_written = 0;      ///< request/admin records acknowledged
  std::uint64_t checkpoints_written = 0;  ///< signed checkpoints on disk
  std::uint64_t files_started = 0;
  std::uint64_t failed_appends = 0;   ///< Append calls answered with an error
  std::uint64_t dropped_no_wait = 0;  ///< AppendNoWait records that could not be written
  std::uint64_t write_failures = 0;   ///< failed write/fdatasync attempts
  std::uint64_t signer_failures = 0;  ///< failed Sign calls
  std::uint64_t last_seq = 0;         ///< sequence number of the last record on disk
  std::uint64_t queued = 0;           ///< records waiting for the writer right now
  /// When the last signed checkpoint reached the disk (epoch: none yet).
  std::chrono::system_clock::time_point last_checkpoint{};
};

class AuditLog final : public AuditSink {
 public:
  /// Takes the chain's directory lock (directory_lock.h; held until Close), opens (creating if
  /// needed) config.directory, continues the chain from the newest
  /// <prefix>-*.jsonl file there (truncating a torn, never-acknowledged last line), starts a new
  /// file with a file-start record, writes a "startup" checkpoint, and starts the writer thread.
  /// Errors (a Problem for the operator at startup, at audit.directory or audit.signer):
  /// directory or file not writable, last record of the previous file unreadable, signer failing.
  static Result<std::unique_ptr<AuditLog>, Problem> Open(const AuditConfig& config,
                                                         std::unique_ptr<CheckpointSigner> signer,
                                                         AuditLogDeps deps = {},
                                                         FlushObserver on_flush = {});

  /// Close()s.
  ~AuditLog() override;
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// See AuditSink. Errors: kInternal (write/sync failed, signer failing beyond the grace, or
  /// closed); log_detail names the cause.
  ProxyResult<std::uint64_t> Append(const AuditEvent& event) override;
  /// See AuditSink. Unbounded growth is prevented by dropping (and counting) beyond 65536 queued.
  void AppendNoWait(AuditEvent event) override;
  /// Completed by the writer thread once the record's batch is durable (or refused).
  void AppendAsync(const AuditEvent& event, AppendCallback done) override;
  /// False while writes fail, the signer is failing beyond its grace, or after Close().
  bool Healthy() const override;

  /// Writes a signed checkpoint covering every record so far (if any is unsigned) and waits for
  /// it to be durable. Thread-safe. Errors: kInternal when signing or writing failed.
  ProxyResult<void> Checkpoint();

  /// Drains queued records, writes a "shutdown" checkpoint, closes the file and stops the
  /// writer. Later Appends fail with kInternal. Idempotent; thread-safe.
  void Close();

  /// Thread-safe snapshot.
  AuditLogStats Stats() const;
  /// Path of the file currently written. Thread-safe.
  std::string CurrentFile() const;

 private:
  struct Pending;
  struct QueueItem {
    Pending* pending = nullptr;
    std::unique_ptr<Pending> owned;  // AppendNoWait and AppendAsync
  };

  AuditLog(const AuditConfig& config, std::unique_ptr<CheckpointSigner> signer, AuditLogDeps deps,
           FlushObserver on_flush);

  // Writer-thread (or, before the thread starts, Open()) only.
  Result<void, Problem> Recover();
  bool OpenNewFile();
  bool Commit(const std::string& buf);
  bool WriteCheckpoint(const char* reason);
  void WriteBatch(std::vector<QueueItem>& batch);
  void Maintain(bool forced_checkpoint, bool stopping);
  void WriterLoop();
  void MirrorLine(const std::string& line);
  RecordHeader NextHeader();
  void UpdateHealth();
  void IoFailed(const char* step, int rc);  // rc: the failed call's -errno

  const AuditConfig config_;
  const std::unique_ptr<CheckpointSigner> signer_;
  const std::shared_ptr<AuditClock> clock_;
  const std::shared_ptr<FileOps> ops_;
  const FlushObserver on_flush_;
  UniqueFd dir_lock_;  // the one-writer lock of the chain (directory_lock.h), released by Close

  // Writer state.
  int fd_ = -1;
  std::string file_name_;        // basename of the current file ("" before the first)
  std::string failed_new_file_;  // a file we created but could not initialise; reused
  off_t offset_ = 0;             // end of the last acknowledged record in the current file
  bool file_broken_ = false;     // truncation after a failure failed: start a new file
  std::uint64_t seq_ = 0;        // last sequence number on disk
  Sha256Digest chain_ = kGenesisChain;
  TenantChainState tenants_;  // every tenant's chain (tenant_chain.h), rolled back with chain_
  std::uint64_t last_checkpoint_seq_ = 0;
  std::uint64_t uncovered_ = 0;  // non-checkpoint records after the last checkpoint
  std::chrono::steady_clock::time_point oldest_uncovered_{};
  std::chrono::steady_clock::time_point file_opened_{};
  std::chrono::steady_clock::time_point next_probe_{};
  // The last failed file step (open, write, fdatasync, ...); nullopt while writes succeed.
  std::optional<SystemError> io_failure_;
  bool signer_failing_ = false;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::vector<QueueItem> queue_;
  bool stop_ = false;
  std::uint64_t checkpoint_requested_ = 0;
  std::uint64_t checkpoint_done_ = 0;
  bool checkpoint_ok_ = false;
  std::string current_path_;
  AuditLogStats stats_;
  std::thread writer_;
  CompletionThread completions_;  // AppendAsync callbacks, off the writer thread
  std::once_flag close_once_;

  std::atomic<bool> io_healthy_{true};
  std::atomic<bool> signer_healthy_{true};
  std::atomic<bool> closed_{false};
};

}  // namespace xks::audit
