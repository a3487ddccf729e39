// Per-tenant exports (docs/audit-format.md, "Per-tenant export"): the tenant-complete export,
// which proves to the tenant that it holds every one of its records up to a signed checkpoint,
// and the redacted export kept for logs written before tenant chains.

#include <fcntl.h>

#include <cstring>

#include "proxy/audit/audit_record.h"
#include "proxy/audit/audit_verifier.h"
#include "proxy/audit/audit_verifier_files.h"
#include "proxy/audit/file_ops.h"
#include "proxy/audit/tenant_chain.h"

namespace xks::audit {
namespace {

using verify_detail::Entry;
using verify_detail::FileData;
using verify_detail::GetString;
using verify_detail::GetU64;
using verify_detail::LoadFiles;
using verify_detail::ParseEntry;

// The files of one chain, readable; else the Problem naming the file.
Result<std::vector<FileData>, Problem> LoadOneChain(const std::vector<std::string>& files) {
  std::vector<FileData> data = LoadFiles(files);
  // One export file holds one chain: records of two chains in one file could not verify.
  for (const FileData& f : data) {
    if (!f.error.empty()) return Fail(MakeProblem(f.path, "cannot read: " + f.error));
    if (!f.export_tenant.empty()) {
      return Fail(MakeProblem(f.path, "is a tenant export; export from the log files"));
    }
    if (f.chain_id != data.front().chain_id) {
      return Fail(MakeProblem(f.path, "belongs to chain " + f.chain_id + ", not " +
                                          data.front().chain_id +
                                          "; export each chain's files on their own"));
    }
  }
  return data;
}

Result<void, Problem> WriteExportFile(const std::string& out_path, const std::string& out) {
  PosixFileOps ops;
  int fd = ops.Open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Fail(MakeProblem(out_path, std::string("cannot create: ") + std::strerror(-fd)));
  }
  int rc = WriteAll(ops, fd, out.data(), out.size());
  if (rc == 0) rc = ops.Fsync(fd);
  int crc = ops.Close(fd);
  if (rc == 0) rc = crc;
  if (rc != 0) {
    return Fail(MakeProblem(out_path, std::string("write failed: ") + std::strerror(-rc)));
  }
  return {};
}

bool IsTenantRecordType(const std::string& type) {
  return type == "request" || type == "admin" || type == "refusal-summary";
}

std::string ProofLine(std::uint64_t checkpoint_seq, const std::string& tenant,
                      const TenantHead& head, const TenantProof& proof) {
  nlohmann::json path = nlohmann::json::array();
  for (const Sha256Digest& p : proof.path) path.push_back(HexEncode(p));
  nlohmann::json j = {{"type", verify_detail::kTenantProofType},
                      {"checkpointSeq", checkpoint_seq},
                      {"tenant", tenant},
                      {"tenantSeq", head.seq},
                      {"tenantChain", HexEncode(head.chain)},
                      {"index", proof.index},
                      {"size", proof.size},
                      {"path", std::move(path)}};
  return CanonicalBody(j) + "\n";
}

// The walk of a tenant-complete export over the chain's lines: every tenant's head (all
// tenants, to build each checkpoint's tree), and what goes out for `tenant_`.
class CompleteExporter {
 public:
  CompleteExporter(std::string tenant, std::string chain_id) : tenant_(std::move(tenant)) {
    nlohmann::json header = {{"type", verify_detail::kTenantExportType},
                             {"format", 2},
                             {"tenant", tenant_},
                             {"chainId", std::move(chain_id)}};
    out_ = CanonicalBody(header) + "\n";
  }

  Result<void, Problem> Line(const FileData& f, std::size_t li) {
    const std::string& line = f.lines[li];
    Entry e = ParseEntry(f.path, li + 1, line);
    const std::string where = f.path + ":" + std::to_string(li + 1);
    if (e.malformed || e.type == "redacted") {
      return Fail(MakeProblem(where, "unparseable record; run verify first"));
    }
    if (e.type == "file-start" && GetU64(e.rec, "prevSeq") == 0 && GetU64(e.rec, "format") >= 2) {
      anchored_ = true;  // genesis of a chain written with tenant chains from its start
    }
    if (e.type == "tenant-heads") {
      heads_ = verify_detail::ParseTenantHeads(e.rec);
      anchored_ = true;
      return {};
    }
    if (!anchored_) {
      if (IsTenantRecordType(e.type) && GetString(e.rec, "tenant") == tenant_)
        ++summary_.skipped_before_anchor;
      return {};
    }
    if (e.type == "checkpoint") return Checkpoint(e, line, where);
    if (!IsTenantRecordType(e.type) || !e.rec.contains("tenantSeq")) return {};
    const std::string tenant = GetString(e.rec, "tenant");
    auto prev = HexDecodeFixed<32>(GetString(e.rec, "tenantPrev"));
    if (!prev) return Fail(MakeProblem(where, "malformed tenantPrev; run verify first"));
    const TenantHead head{GetU64(e.rec, "tenantSeq"), NextTenantChain(*prev, e.digest)};
    heads_[tenant] = head;
    if (tenant == tenant_) {
      out_ += line + "\n";
      ++summary_.tenant_records;
      if (summary_.first_tenant_seq == 0) summary_.first_tenant_seq = head.seq;
      summary_.last_tenant_seq = head.seq;
    }
    return {};
  }

  Result<ExportSummary, Problem> Finish(const std::string& out_path) {
    if (!anchored_) {
      return Fail(MakeProblem(out_path,
                              "the files hold no record written with tenant chains "
                              "(audit format 2); export them with --redacted"));
    }
    if (auto written = WriteExportFile(out_path, out_); !written.ok()) {
      return Fail(std::move(written).error());
    }
    return summary_;
  }

 private:
  Result<void, Problem> Checkpoint(const Entry& e, const std::string& line,
                                   const std::string& where) {
    if (!e.rec.contains("tenantRoot")) return {};  // written before tenant chains
    const TenantRoot root = ComputeTenantRoot(heads_);
    if (root.count != GetU64(e.rec, "tenantCount") ||
        HexEncode(root.root) != GetString(e.rec, "tenantRoot")) {
      return Fail(MakeProblem(where,
                              "checkpoint does not commit to the tenant heads its records "
                              "give; run verify first"));
    }
    out_ += line + "\n";
    ++summary_.checkpoints;
    if (auto proof = ProveTenantHead(heads_, tenant_)) {
      out_ += ProofLine(e.seq, tenant_, heads_.at(tenant_), *proof);
      ++summary_.proofs;
    }
    return {};
  }

  const std::string tenant_;
  std::string out_;
  ExportSummary summary_;
  TenantHeads heads_;
  bool anchored_ = false;
};

}  // namespace

Result<ExportSummary, Problem> ExportTenantComplete(const std::vector<std::string>& files,
                                                    const std::string& tenant,
                                                    const std::string& out_path) {
  auto data = LoadOneChain(files);
  if (!data.ok()) return Fail(std::move(data).error());
  if (data->empty()) return Fail(MakeProblem(out_path, "no audit files given"));
  CompleteExporter exporter(tenant, data->front().chain_id);
  for (const FileData& f : *data) {
    for (std::size_t li = 0; li < f.lines.size(); ++li) {
      if (auto r = exporter.Line(f, li); !r.ok()) return Fail(std::move(r).error());
    }
  }
  return exporter.Finish(out_path);
}

Result<ExportSummary, Problem> ExportTenant(const std::vector<std::string>& files,
                                            const std::string& tenant,
                                            const std::string& out_path) {
  auto data = LoadOneChain(files);
  if (!data.ok()) return Fail(std::move(data).error());
  std::string out;
  ExportSummary summary;
  for (const FileData& f : *data) {
    for (std::size_t li = 0; li < f.lines.size(); ++li) {
      const std::string& line = f.lines[li];
      Entry e = ParseEntry(f.path, li + 1, line);
      if (e.malformed) {
        return Fail(MakeProblem(f.path + ":" + std::to_string(li + 1),
                                "unparseable record; run verify first"));
      }
      bool keep = e.type == "checkpoint" || e.type == "file-start" || e.type == "redacted" ||
                  (IsTenantRecordType(e.type) && GetString(e.rec, "tenant") == tenant);
      if (keep) {
        out += line;
        out += '\n';
        if (e.type == "checkpoint") {
          ++summary.checkpoints;
        } else if (e.type == "redacted") {
          ++summary.redacted_records;
        } else if (e.type != "file-start") {
          ++summary.tenant_records;
        }
      } else {
        out += RedactedLine(e.seq, e.digest);
        ++summary.redacted_records;
      }
    }
  }
  if (auto written = WriteExportFile(out_path, out); !written.ok()) {
    return Fail(std::move(written).error());
  }
  return summary;
}

}  // namespace xks::audit
