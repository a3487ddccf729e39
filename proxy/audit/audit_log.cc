#include "proxy/audit/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace xks::audit {
namespace {

constexpr std::size_t kMaxQueued = 65536;
constexpr const char* kSignerFailing = "checkpoint signer failing beyond its grace period";
constexpr const char* kClosed = "audit log closed";

std::string Describe(const SystemError& failure) {
  return "audit write failed: " + failure.Message();
}

}  // namespace

struct AuditLog::Pending {
  EventTemplate tmpl;       // serialised by the appending thread, off the single writer thread
  AppendCallback callback;  // AppendAsync: completes the request instead of a waiting thread
  bool done = false;
  std::string refusal;  // why the record was refused (log detail); "" once it is written
  std::uint64_t seq = 0;
};

AuditLog::AuditLog(const AuditConfig& config, std::unique_ptr<CheckpointSigner> signer,
                   AuditLogDeps deps, FlushObserver on_flush)
    : config_(config),
      signer_(std::move(signer)),
      clock_(deps.clock ? deps.clock : std::make_shared<SystemAuditClock>()),
      ops_(deps.file_ops ? deps.file_ops : std::make_shared<PosixFileOps>()),
      on_flush_(std::move(on_flush)) {}

AuditLog::~AuditLog() { Close(); }

RecordHeader AuditLog::NextHeader() {
  return RecordHeader{seq_ + 1, FormatTimestamp(clock_->Now()), config_.instance_id};
}

void AuditLog::IoFailed(const char* step, int rc) {
  io_failure_ = SystemError{step, -rc};
  next_probe_ = std::chrono::steady_clock::now() + config_.retry_interval;
}

void AuditLog::WriteBatch(std::vector<QueueItem>& batch) {
  std::string refusal;
  if (!signer_healthy_.load()) {
    refusal = kSignerFailing;
  } else if ((fd_ < 0 || file_broken_) && !OpenNewFile()) {
    refusal = Describe(*io_failure_);
  }
  std::string buf;
  const std::uint64_t saved_seq = seq_;
  const Sha256Digest saved_chain = chain_;
  if (refusal.empty()) {
    for (QueueItem& item : batch) {
      RecordHeader header = NextHeader();
      const EventTemplate& tmpl = item.pending->tmpl;
      if (tmpl.tenant.empty()) {
        buf += ChainBodyLine(FillEventBody(tmpl, header.seq, header.time), chain_);
      } else {
        const TenantLink link = tenants_.Next(tmpl.tenant);
        Sha256Digest digest;
        buf += ChainBodyLine(FillEventBody(tmpl, header.seq, header.time, link), chain_, &digest);
        tenants_.Advance(tmpl.tenant, link, digest);
      }
      item.pending->seq = ++seq_;
    }
    if (Commit(buf)) {
      tenants_.Commit();
    } else {
      seq_ = saved_seq;
      chain_ = saved_chain;
      tenants_.Rollback();
      refusal = Describe(*io_failure_);
    }
  }
  if (refusal.empty()) {
    if (uncovered_ == 0) oldest_uncovered_ = std::chrono::steady_clock::now();
    uncovered_ += batch.size();
    if (config_.mirror != Mirror::kNone) {
      std::size_t pos = 0;
      while (pos < buf.size()) {
        std::size_t nl = buf.find('\n', pos);
        MirrorLine(buf.substr(pos, nl + 1 - pos));
        pos = nl + 1;
      }
    }
  }
  UpdateHealth();
  // AppendAsync completions, taken out before `done` is set: an Append entry lives on its
  // caller's stack and may be gone as soon as its thread sees `done`.
  std::vector<CompletionThread::Completion> completions;
  {
    std::lock_guard lock(mu_);
    for (QueueItem& item : batch) {
      Pending* p = item.pending;
      p->refusal = refusal;
      if (refusal.empty()) {
        ++stats_.records_written;
      } else if (item.owned && !p->callback) {
        ++stats_.dropped_no_wait;
      } else {
        ++stats_.failed_appends;
      }
      if (p->callback) {
        completions.emplace_back(
            std::move(p->callback),
            refusal.empty()
                ? ProxyResult<std::uint64_t>(p->seq)
                : Fail(MakeError(ErrorName::kInternal, "audit log unavailable", refusal)));
      }
      p->done = true;
    }
    stats_.last_seq = seq_;
  }
  done_cv_.notify_all();
  // On their own thread, so the next group commit starts now (and a callback may append again).
  completions_.Post(std::move(completions));
  batch.clear();  // frees AppendNoWait/AppendAsync entries; Append's live on their callers' stacks
}

void AuditLog::UpdateHealth() {
  io_healthy_.store(!io_failure_);
  // Records may stay unsigned only for the grace period; after that, refusing new ones is the
  // fail-closed answer to a signer (HSM) that is down.
  bool signer_ok = !signer_failing_ || uncovered_ == 0 ||
                   std::chrono::steady_clock::now() - oldest_uncovered_ <= config_.signer_grace;
  signer_healthy_.store(signer_ok);
}

void AuditLog::Maintain(bool forced_checkpoint, bool stopping) {
  const auto now = std::chrono::steady_clock::now();
  // While writes or the signer fail, retry at retry_interval, not in a tight loop.
  if ((io_failure_ || signer_failing_) && now < next_probe_ && !forced_checkpoint && !stopping) {
    UpdateHealth();
    return;
  }
  if (io_failure_) {
    // Probe by writing a real (signed) record so recovery is proven, not assumed.
    if (!WriteCheckpoint("recovery")) {
      next_probe_ = now + config_.retry_interval;
      UpdateHealth();
      return;
    }
  }
  bool due =
      uncovered_ > 0 && (forced_checkpoint || stopping || uncovered_ >= config_.checkpoint_every ||
                         now - oldest_uncovered_ >= config_.checkpoint_interval);
  if (due) {
    const char* reason = forced_checkpoint                        ? "forced"
                         : stopping                               ? "shutdown"
                         : uncovered_ >= config_.checkpoint_every ? "count"
                                                                  : "interval";
    if (!WriteCheckpoint(reason)) {
      next_probe_ = now + config_.retry_interval;
      UpdateHealth();
      return;
    }
  }
  if (fd_ >= 0 && !stopping) {
    bool by_size =
        config_.rotate_bytes > 0 && static_cast<std::uint64_t>(offset_) >= config_.rotate_bytes;
    bool by_time =
        config_.rotate_interval.count() > 0 && now - file_opened_ >= config_.rotate_interval;
    if (by_size || by_time) {
      if (uncovered_ == 0 || WriteCheckpoint("rotation")) OpenNewFile();
    }
  }
  UpdateHealth();
}

void AuditLog::WriterLoop() {
  std::vector<QueueItem> batch;
  for (;;) {
    bool stopping = false;
    std::uint64_t requested = 0;
    {
      std::unique_lock lock(mu_);
      auto now = std::chrono::steady_clock::now();
      auto deadline = now + std::chrono::hours(1);
      if (io_failure_ || signer_failing_) {
        deadline = std::min(deadline, std::max(next_probe_, now + std::chrono::milliseconds(1)));
      } else if (uncovered_ > 0) {
        deadline = std::min(deadline, oldest_uncovered_ + config_.checkpoint_interval);
      }
      if (config_.rotate_interval.count() > 0) {
        deadline =
            std::min(deadline,
                     file_opened_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        config_.rotate_interval));
      }
      work_cv_.wait_until(lock, deadline, [&] {
        return !queue_.empty() || stop_ || checkpoint_requested_ != checkpoint_done_;
      });
      batch.swap(queue_);
      stopping = stop_;
      requested = checkpoint_requested_;
    }
    if (!batch.empty()) WriteBatch(batch);
    const bool forced = requested != checkpoint_done_;
    Maintain(forced, stopping);
    if (forced) {
      std::lock_guard lock(mu_);
      checkpoint_done_ = requested;
      checkpoint_ok_ = uncovered_ == 0;
      done_cv_.notify_all();
    }
    if (stopping) {
      std::lock_guard lock(mu_);
      if (queue_.empty()) break;
    }
  }
  if (fd_ >= 0) {
    ops_->Fdatasync(fd_);
    ops_->Close(fd_);
    fd_ = -1;
  }
}

void AuditLog::MirrorLine(const std::string& line) {
  if (config_.mirror == Mirror::kStdout) {
    // Direct write(2): one line per call keeps lines from concurrent writers intact.
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(STDOUT_FILENO, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a mirror is best effort; the file is the record
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  } else if (config_.mirror == Mirror::kSyslog) {
    std::string_view v(line);
    if (!v.empty() && v.back() == '\n') v.remove_suffix(1);
    ::syslog(LOG_INFO, "%.*s", static_cast<int>(v.size()), v.data());
  }
}

ProxyResult<std::uint64_t> AuditLog::Append(const AuditEvent& event) {
  Pending p;
  p.tmpl = PrepareEventBody(config_.instance_id, event);
  std::unique_lock lock(mu_);
  if (stop_) {
    ++stats_.failed_appends;
    return Fail(MakeError(ErrorName::kInternal, "audit log unavailable", kClosed));
  }
  queue_.push_back(QueueItem{&p, nullptr});
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return p.done; });
  if (!p.refusal.empty()) {
    return Fail(MakeError(ErrorName::kInternal, "audit log unavailable", std::move(p.refusal)));
  }
  return p.seq;
}

void AuditLog::AppendNoWait(AuditEvent event) {
  auto owned = std::make_unique<Pending>();
  owned->tmpl = PrepareEventBody(config_.instance_id, event);
  Pending* raw = owned.get();
  std::lock_guard lock(mu_);
  if (stop_ || queue_.size() >= kMaxQueued) {
    ++stats_.dropped_no_wait;
    return;
  }
  queue_.push_back(QueueItem{raw, std::move(owned)});
  work_cv_.notify_one();
}

void AuditLog::AppendAsync(const AuditEvent& event, AppendCallback done) {
  auto owned = std::make_unique<Pending>();
  owned->tmpl = PrepareEventBody(config_.instance_id, event);
  owned->callback = std::move(done);
  Pending* raw = owned.get();
  std::unique_lock lock(mu_);
  if (stop_ || queue_.size() >= kMaxQueued) {
    ++stats_.failed_appends;
    const bool stopped = stop_;
    lock.unlock();
    // A full queue means the disk is far behind the requests: shed them instead of holding
    // their memory (no response leaves without its record either way).
    raw->callback(
        Fail(stopped ? MakeError(ErrorName::kInternal, "audit log unavailable", kClosed)
                     : MakeError(ErrorName::kThrottling, "audit log busy", "audit queue full")));
    return;
  }
  queue_.push_back(QueueItem{raw, std::move(owned)});
  work_cv_.notify_one();
}

bool AuditLog::Healthy() const {
  return io_healthy_.load() && signer_healthy_.load() && !closed_.load();
}

ProxyResult<void> AuditLog::Checkpoint() {
  std::unique_lock lock(mu_);
  if (stop_) return Fail(MakeError(ErrorName::kInternal, "audit log unavailable", kClosed));
  const std::uint64_t mine = ++checkpoint_requested_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return checkpoint_done_ >= mine; });
  if (!checkpoint_ok_) {
    return Fail(MakeError(ErrorName::kInternal, "audit checkpoint failed",
                          "signing or writing the checkpoint failed"));
  }
  return {};
}

void AuditLog::Close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_one();
    if (writer_.joinable()) writer_.join();
    completions_.Stop();  // every request the writer answered hears it before Close returns
    if (fd_ >= 0) {       // Open() failed after creating the file and never started the thread
      ops_->Close(fd_);
      fd_ = -1;
    }
    dir_lock_.Reset();  // the chain's last record is on disk: the next writer may continue it
    closed_.store(true);
  });
}

AuditLogStats AuditLog::Stats() const {
  std::lock_guard lock(mu_);
  AuditLogStats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

std::string AuditLog::CurrentFile() const {
  std::lock_guard lock(mu_);
  return current_path_;
}

}  // namespace xks::audit
