// The records the audit writer writes of its own accord, and the commit of every write: a new
// file (file-start and tenant-heads records, synced even in `write` mode) and signed
// checkpoints. Writer-thread (or, before the thread starts, Open()) only. Format:
// docs/audit-format.md.

#include <fcntl.h>

#include <cstdio>

#include "proxy/audit/audit_log.h"

namespace xks::audit {
namespace {

std::string FileNameFor(const std::string& prefix, std::uint64_t first_seq) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(first_seq));
  return prefix + "-" + digits + ".jsonl";
}
}  // namespace

bool AuditLog::Commit(const std::string& buf) {
  const char* step = "write";
  const auto started = std::chrono::steady_clock::now();
  int rc = WriteAll(*ops_, fd_, buf.data(), buf.size());
  if (rc == 0 && config_.durability == Durability::kFsync) {
    step = "fdatasync";
    rc = ops_->Fdatasync(fd_);
  }
  if (on_flush_) on_flush_(std::chrono::steady_clock::now() - started);
  if (rc != 0) {
    IoFailed(step, rc);
    // The batch is refused, so its bytes must not stay: a later successful write would
    // otherwise follow records that were never acknowledged and break the chain.
    if (ops_->Ftruncate(fd_, offset_) != 0) file_broken_ = true;
    std::lock_guard lock(mu_);
    ++stats_.write_failures;
    return false;
  }
  offset_ += static_cast<off_t>(buf.size());
  io_failure_.reset();
  return true;
}

bool AuditLog::OpenNewFile() {
  const std::string name = FileNameFor(config_.file_prefix, seq_ + 1);
  const std::string path = config_.directory + "/" + name;
  // O_EXCL so we never write into a file we did not create; the one exception is our own
  // earlier attempt for the same sequence number that failed before holding any record.
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  flags |= (name == failed_new_file_) ? O_TRUNC : O_EXCL;
  // Owner only (docs/audit-format.md): the records name tenants, keys and clients.
  int fd = ops_->Open(path, flags, 0600);
  if (fd < 0) {
    IoFailed("open", fd);
    return false;
  }
  failed_new_file_ = name;
  int dir = ops_->Open(config_.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  int drc = dir < 0 ? dir : ops_->Fsync(dir);
  if (dir >= 0) ops_->Close(dir);
  if (drc != 0) {
    IoFailed(dir < 0 ? "open directory" : "fsync directory", drc);
    ops_->Close(fd);
    return false;
  }
  const int old_fd = fd_;
  const off_t old_offset = offset_;
  const bool old_broken = file_broken_;
  fd_ = fd;
  offset_ = 0;
  file_broken_ = false;
  const Sha256Digest saved_chain = chain_;
  RecordHeader header = NextHeader();
  nlohmann::json rec = BuildFileStartRecord(
      header, ChainIdFor(config_.instance_id, config_.file_prefix), file_name_, seq_, chain_);
  std::string start_line = SerializeRecordLine(rec, chain_);
  // Every tenant's head right after the file-start, in the same write: the file can then be
  // exported, and its tenants' chains continued, without any file before it.
  ++header.seq;
  std::string heads_line =
      SerializeRecordLine(BuildTenantHeadsRecord(header, tenants_.heads()), chain_);
  std::string line = start_line + heads_line;
  // The file-start record is synced even in `write` mode: it anchors the file in the chain.
  const char* step = "write";
  int rc = WriteAll(*ops_, fd_, line.data(), line.size());
  if (rc == 0) {
    step = "fdatasync";
    rc = ops_->Fdatasync(fd_);
  }
  if (rc != 0) {
    IoFailed(step, rc);
    chain_ = saved_chain;
    ops_->Close(fd_);
    fd_ = old_fd;
    offset_ = old_offset;
    file_broken_ = old_broken;
    return false;
  }
  if (old_fd >= 0) {
    ops_->Fdatasync(old_fd);
    ops_->Close(old_fd);
  }
  failed_new_file_.clear();
  offset_ = static_cast<off_t>(line.size());
  seq_ += 2;
  if (uncovered_ == 0) oldest_uncovered_ = std::chrono::steady_clock::now();
  uncovered_ += 2;
  file_name_ = name;
  file_opened_ = std::chrono::steady_clock::now();
  io_failure_.reset();
  MirrorLine(start_line);
  MirrorLine(heads_line);
  std::lock_guard lock(mu_);
  current_path_ = path;
  ++stats_.files_started;
  stats_.last_seq = seq_;
  return true;
}

bool AuditLog::WriteCheckpoint(const char* reason) {
  if ((fd_ < 0 || file_broken_) && !OpenNewFile()) return false;
  RecordHeader header = NextHeader();
  CheckpointFields f;
  f.first_seq = last_checkpoint_seq_ + 1;
  f.last_seq = seq_;
  f.chain_head = chain_;
  f.key_id = signer_->key_id();
  f.algorithm = signer_->algorithm();
  f.reason = reason;
  f.tenants = ComputeTenantRoot(tenants_.heads());
  std::string payload = CheckpointPayload(header, f);
  auto sig = signer_->Sign(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  if (!sig.ok()) {
    signer_failing_ = true;
    next_probe_ = std::chrono::steady_clock::now() + config_.retry_interval;
    std::lock_guard lock(mu_);
    ++stats_.signer_failures;
    return false;
  }
  signer_failing_ = false;
  const Sha256Digest saved_chain = chain_;
  std::string line =
      SerializeRecordLine(BuildCheckpointRecord(header, f, Base64Encode(sig.value())), chain_);
  if (!Commit(line)) {
    chain_ = saved_chain;
    return false;
  }
  ++seq_;
  last_checkpoint_seq_ = seq_;
  uncovered_ = 0;
  MirrorLine(line);
  std::lock_guard lock(mu_);
  ++stats_.checkpoints_written;
  stats_.last_checkpoint = clock_->Now();
  stats_.last_seq = seq_;
  return true;
}

}  // namespace xks::audit
