// AuditLog::Open and AuditLog::Recover: taking the chain's lock, and how a start continues the
// chain the previous run left on disk. Only the newest file is read; its torn tail (never
// acknowledged) is dropped and its last record gives the sequence number and chain value to
// continue from.

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/file_io.h"
#include "proxy/audit/audit_log.h"
#include "proxy/audit/audit_verifier_files.h"
#include "proxy/audit/directory_lock.h"

namespace xks::audit {
namespace {

bool IsLogFileName(const std::string& prefix, const std::string& name) {
  const std::size_t want = prefix.size() + 1 + 20 + 6;
  if (name.size() != want || name.compare(0, prefix.size() + 1, prefix + "-") != 0) return false;
  if (name.compare(name.size() - 6, 6, ".jsonl") != 0) return false;
  for (std::size_t i = prefix.size() + 1; i < prefix.size() + 21; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

// The log files in `directory`, oldest first, after removing empty newest ones.
// Recovery fails only over what is in audit.directory, so every Problem points there.
Problem DirectoryProblem(std::string problem, std::string fix = {}) {
  return MakeProblem("audit.directory", std::move(problem), std::move(fix));
}

Result<std::vector<std::string>, Problem> ListLogFiles(const std::string& directory,
                                                       const std::string& prefix) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return Fail(DirectoryProblem("cannot create " + directory + ": " + ec.message()));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::string name = entry.path().filename().string();
    if (IsLogFileName(prefix, name)) names.push_back(name);
  }
  if (ec) return Fail(DirectoryProblem("cannot list " + directory + ": " + ec.message()));
  std::sort(names.begin(), names.end());
  // A crash between creating a file and syncing its file-start record leaves an empty file
  // that holds nothing acknowledged; it is removed so the name can be reused.
  while (!names.empty() && std::filesystem::file_size(directory + "/" + names.back(), ec) == 0 &&
         !ec) {
    std::filesystem::remove(directory + "/" + names.back(), ec);
    if (ec) {
      return Fail(DirectoryProblem("cannot remove empty " + names.back() + ": " + ec.message()));
    }
    names.pop_back();
  }
  return names;
}

// The complete lines of `path`; a torn tail is truncated away on disk first.
Result<std::string, Problem> ReadCompleteLines(const std::string& path) {
  auto fd = OpenFile(path, O_RDWR);
  if (!fd.ok()) {
    return Fail(
        DirectoryProblem("cannot open " + path + ": " + std::strerror(fd.error().sys_errno)));
  }
  std::string data;
  if (auto r = ReadAll(fd->get(), data); !r.ok()) {
    return Fail(
        DirectoryProblem("cannot read " + path + ": " + std::strerror(r.error().sys_errno)));
  }
  // A last line without '\n' is a write that never completed, so it was never acknowledged:
  // dropping it keeps the chain made only of acknowledged records.
  std::size_t end = data.rfind('\n');
  std::size_t keep = end == std::string::npos ? 0 : end + 1;
  if (keep != data.size()) {
    if (::ftruncate(fd->get(), static_cast<off_t>(keep)) != 0 || ::fdatasync(fd->get()) != 0) {
      return Fail(
          DirectoryProblem("cannot drop torn tail of " + path + ": " + std::strerror(errno)));
    }
    data.resize(keep);
  }
  return data;
}

// Where the chain in one file ends.
struct ChainTail {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  Sha256Digest chain{};
  bool saw_checkpoint = false;
  std::uint64_t last_checkpoint_seq = 0;
  std::uint64_t uncovered = 0;  // non-checkpoint records after the last checkpoint
  // Tenant chains (tenant_chain.h): the heads after the file's records, and whether the file
  // says where they stood at its start (a tenant-heads record) or began before tenant chains.
  TenantHeads heads;
  bool saw_heads = false;
  bool predates_tenant_chains = false;
};

// Applies one parsed record `j` (canonical body `body`) of a file to the tenant heads in `tail`.
void ApplyTenantRecord(const nlohmann::json& j, const std::string& body, ChainTail& tail) {
  const std::string& type = j["type"].get_ref<const std::string&>();
  if (type == "file-start") {
    auto format = j.find("format");
    tail.predates_tenant_chains =
        format == j.end() || !format->is_number_unsigned() || format->get<std::uint64_t>() < 2;
    return;
  }
  if (type == "tenant-heads") {
    tail.saw_heads = true;
    tail.heads = verify_detail::ParseTenantHeads(j);
    return;
  }
  auto tenant_seq = j.find("tenantSeq");
  if (tenant_seq == j.end() || !tenant_seq->is_number_unsigned()) return;
  auto prev = HexDecodeFixed<32>(verify_detail::GetString(j, "tenantPrev"));
  tail.heads[verify_detail::GetString(j, "tenant")] =
      TenantHead{tenant_seq->get<std::uint64_t>(),
                 NextTenantChain(prev.value_or(Sha256Digest{}), Sha256(body))};
}

Result<ChainTail, Problem> ScanChainTail(const std::string& path, const std::string& data) {
  ChainTail tail;
  bool any = false;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    auto split = SplitRecordLine(line);
    nlohmann::json j =
        split ? nlohmann::json::parse(split->body, nullptr, false) : nlohmann::json(nullptr);
    if (!split || !j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
        !j.contains("type") || !j["type"].is_string()) {
      return Fail(DirectoryProblem(
          "cannot continue the chain: malformed record in " + path,
          "run `xks-audit verify`; move the directory aside to start a new chain"));
    }
    std::uint64_t s = j["seq"].get<std::uint64_t>();
    ApplyTenantRecord(j, split->body, tail);
    if (!any) tail.first_seq = s;
    any = true;
    tail.last_seq = s;
    tail.chain = split->chain;
    if (j["type"] == "checkpoint") {
      tail.last_checkpoint_seq = s;
      tail.uncovered = 0;
      tail.saw_checkpoint = true;
    } else {
      ++tail.uncovered;
    }
  }
  if (!any) {
    return Fail(DirectoryProblem(path + " is empty",
                                 "remove it (it holds no records) so the chain can be continued"));
  }
  return tail;
}

// Every tenant's head at the end of the newest file (`newest`, the scan of names.back()).
Result<TenantHeads, Problem> RecoverTenantHeads(const std::string& directory,
                                                const std::vector<std::string>& names,
                                                ChainTail newest) {
  // The newest file normally starts with every tenant's head. Only when it lacks that record
  // (its file-start was written, the tenant-heads line after it torn) do the files before it
  // tell where the tenants stood; none before the first file with tenant chains can.
  std::vector<TenantHeads> later{std::move(newest.heads)};
  bool known = newest.saw_heads || newest.predates_tenant_chains;
  for (std::size_t i = names.size() - 1; !known && i-- > 0;) {
    const std::string path = directory + "/" + names[i];
    std::string data;
    auto fd = OpenFile(path, O_RDONLY);
    if (!fd.ok() || !ReadAll(fd->get(), data).ok()) {
      return Fail(DirectoryProblem("cannot read " + path + " to continue the tenant chains"));
    }
    data.resize(data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1);
    auto tail = ScanChainTail(path, data);
    if (!tail.ok()) return Fail(std::move(tail).error());
    later.push_back(std::move(tail->heads));
    known = tail->saw_heads || tail->predates_tenant_chains;
  }
  // Oldest first: each later file's heads override the earlier ones for the tenants it names.
  TenantHeads heads;
  for (auto it = later.rbegin(); it != later.rend(); ++it) {
    for (auto& [tenant, head] : *it) heads[tenant] = head;
  }
  return heads;
}

}  // namespace

Result<std::unique_ptr<AuditLog>, Problem> AuditLog::Open(const AuditConfig& config,
                                                          std::unique_ptr<CheckpointSigner> signer,
                                                          AuditLogDeps deps,
                                                          FlushObserver on_flush) {
  if (!signer) return Fail(MakeProblem("audit.signer", "no checkpoint signer"));
  auto lock = LockAuditDirectory(config.directory, config.file_prefix, deps.lock_wait);
  if (!lock.ok()) return Fail(std::move(lock).error());
  std::unique_ptr<AuditLog> log(
      new AuditLog(config, std::move(signer), std::move(deps), std::move(on_flush)));
  log->dir_lock_ = std::move(lock).value();
  auto recovered = log->Recover();
  if (!recovered.ok()) return Fail(std::move(recovered).error());
  if (!log->OpenNewFile()) {
    return Fail(
        MakeProblem("audit.directory", "cannot start a new file in " + config.directory +
                                           ": audit write failed: " + log->io_failure_->Message()));
  }
  // Signs whatever the previous run left unsigned and proves the signer works before any
  // request depends on it.
  if (!log->WriteCheckpoint("startup")) {
    if (log->signer_failing_) {
      return Fail(MakeProblem(
          "audit.signer", "startup checkpoint failed in " + config.directory + " (signer failed)",
          "check that the checkpoint signer's key is reachable"));
    }
    return Fail(MakeProblem("audit.directory",
                            "startup checkpoint failed in " + config.directory +
                                " (audit write failed: " + log->io_failure_->Message() + ")"));
  }
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  pthread_setname_np(log->writer_.native_handle(), "audit-writer");
  return log;
}

Result<void, Problem> AuditLog::Recover() {
  auto names = ListLogFiles(config_.directory, config_.file_prefix);
  if (!names.ok()) return Fail(std::move(names).error());
  if (names->empty()) return {};  // genesis
  const std::string newest = names->back();
  const std::string path = config_.directory + "/" + newest;
  auto data = ReadCompleteLines(path);
  if (!data.ok()) return Fail(std::move(data).error());
  auto tail = ScanChainTail(path, data.value());
  if (!tail.ok()) return Fail(std::move(tail).error());
  seq_ = tail->last_seq;
  chain_ = tail->chain;
  // Records before the first checkpoint of this file are unsigned back to its first record.
  last_checkpoint_seq_ = tail->saw_checkpoint ? tail->last_checkpoint_seq : tail->first_seq - 1;
  uncovered_ = tail->uncovered;
  if (uncovered_ > 0) oldest_uncovered_ = std::chrono::steady_clock::now();
  file_name_ = newest;
  auto heads = RecoverTenantHeads(config_.directory, *names, std::move(tail).value());
  if (!heads.ok()) return Fail(std::move(heads).error());
  tenants_.Reset(std::move(heads).value());
  return {};
}

}  // namespace xks::audit
