#include "proxy/audit/audit_verifier_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "base/file_io.h"
#include "proxy/audit/audit_record.h"

namespace xks::audit::verify_detail {
namespace {

bool ReadWholeFile(const std::string& path, std::string& out, std::string& error) {
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) {
    error = std::strerror(fd.error().sys_errno);
    return false;
  }
  if (auto read = ReadAll(fd->get(), out); !read.ok()) {
    error = std::strerror(read.error().sys_errno);
    return false;
  }
  return true;
}

bool GetSeq(const nlohmann::json& j, std::uint64_t& seq) {
  auto it = j.find("seq");
  if (it == j.end() || !it->is_number_unsigned()) return false;
  seq = it->get<std::uint64_t>();
  return true;
}

// "<prefix>" of a log file name "<prefix>-<20 digits>.jsonl"; "" for any other name.
std::string PrefixOfLogName(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  constexpr std::size_t kTail = 1 + 20 + 6;  // "-" digits ".jsonl"
  if (name.size() <= kTail || !name.ends_with(".jsonl") || name[name.size() - kTail] != '-') {
    return "";
  }
  for (std::size_t i = name.size() - kTail + 1; i < name.size() - 6; ++i) {
    if (std::isdigit(static_cast<unsigned char>(name[i])) == 0) return "";
  }
  return name.substr(0, name.size() - kTail);
}

// The chain a file belongs to: the `chainId` of its first file-start record; for files written
// before that field existed, "<instance>/<prefix>" (ChainIdFor) from the first record's instance
// and the prefix in the file's name, its file-start's prevFile, or the default "audit".
std::string ChainIdOfFile(const FileData& f) {
  for (std::size_t li = 0; li < f.lines.size(); ++li) {
    Entry e = ParseEntry(f.path, li + 1, f.lines[li]);
    if (e.malformed || !e.rec.is_object() || !e.rec.contains("instance")) continue;
    if (e.type == "file-start" && e.rec.contains("chainId")) return GetString(e.rec, "chainId");
    std::string prefix = PrefixOfLogName(f.path);
    if (prefix.empty() && e.type == "file-start") {
      prefix = PrefixOfLogName(GetString(e.rec, "prevFile"));
    }
    return ChainIdFor(GetString(e.rec, "instance"), prefix.empty() ? "audit" : prefix);
  }
  return "";
}

}  // namespace

std::string GetString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t GetU64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

TenantHeads ParseTenantHeads(const nlohmann::json& rec) {
  TenantHeads heads;
  auto list = rec.find("heads");
  if (list == rec.end() || !list->is_object()) return heads;
  for (const auto& [tenant, head] : list->items()) {
    if (!head.is_object()) continue;
    auto chain = HexDecodeFixed<32>(GetString(head, "chain"));
    heads[tenant] = TenantHead{GetU64(head, "seq"), chain.value_or(Sha256Digest{})};
  }
  return heads;
}

Entry ParseEntry(const std::string& file, std::size_t line_no, const std::string& line) {
  Entry e;
  e.file = file;
  e.line = line_no;
  if (auto split = SplitRecordLine(line)) {
    e.rec = nlohmann::json::parse(split->body, nullptr, false);
    if (e.rec.is_object() && GetSeq(e.rec, e.seq)) {
      e.type = GetString(e.rec, "type");
      e.digest = Sha256(split->body);
      e.stored_chain = split->chain;
      return e;
    }
  } else {
    // A per-tenant export's stand-in for another tenant's record.
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && GetString(j, "type") == "redacted" && GetSeq(j, e.seq)) {
      auto d = HexDecodeFixed<32>(GetString(j, "digest"));
      if (d && j.size() == 3) {
        e.type = "redacted";
        e.digest = *d;
        return e;
      }
    }
  }
  e.malformed = true;
  return e;
}

CheckpointVerdict VerifyCheckpointEntry(const Entry& x, const std::vector<VerificationKey>& keys) {
  const nlohmann::json& j = x.rec;
  RecordHeader h{x.seq, GetString(j, "time"), GetString(j, "instance")};
  CheckpointVerdict v;
  CheckpointFields& f = v.fields;
  f.first_seq = GetU64(j, "firstSeq");
  f.last_seq = GetU64(j, "lastSeq");
  auto head = HexDecodeFixed<32>(GetString(j, "chainHead"));
  f.chain_head = head.value_or(Sha256Digest{});
  f.key_id = GetString(j, "keyId");
  f.algorithm = GetString(j, "alg");
  bool tenants_ok = true;
  if (j.contains("tenantRoot") || j.contains("tenantCount")) {
    auto root = HexDecodeFixed<32>(GetString(j, "tenantRoot"));
    tenants_ok =
        root.has_value() && j.contains("tenantCount") && j["tenantCount"].is_number_unsigned();
    f.tenants = TenantRoot{GetU64(j, "tenantCount"), root.value_or(Sha256Digest{})};
  }
  const VerificationKey* key = nullptr;
  for (const VerificationKey& k : keys) {
    if (k.key_id == f.key_id) key = &k;
  }
  if (key == nullptr) {
    v.failure = FindingKind::kUnknownKey;
    v.detail = "checkpoint signed by key id " + f.key_id + ", which is not among the given keys";
    return v;
  }
  std::string payload = CheckpointPayload(h, f);
  auto sig = Base64Decode(GetString(j, "sig"));
  if (!head || !tenants_ok || f.algorithm != key->algorithm || !sig ||
      !VerifyCheckpointSignature(
          *key,
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                        payload.size()),
          *sig)) {
    v.failure = FindingKind::kBadSignature;
    v.detail = "checkpoint signature does not verify with key " + f.key_id;
  }
  return v;
}

namespace {

// The header of a tenant-complete export, when `line` is one.
bool ReadExportHeader(const std::string& line, FileData& f) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || GetString(j, "type") != kTenantExportType) return false;
  f.export_tenant = GetString(j, "tenant");
  // Its own id: the tenant's view of the chain, verified on its own (see tenant_export_verifier).
  f.chain_id = GetString(j, "chainId") + " (tenant " + f.export_tenant + ")";
  return true;
}

// Cuts `data` (the bytes of the file named f.path) into f's lines; finds its first sequence
// number and its chain.
void SplitFileData(FileData& f, const std::string& data) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) {
      f.incomplete_tail = true;
      break;
    }
    f.lines.emplace_back(data, pos, nl - pos);
    pos = nl + 1;
  }
  for (const std::string& l : f.lines) {
    Entry e = ParseEntry(f.path, 0, l);
    if (!e.malformed) {
      f.first_seq = e.seq;
      break;
    }
  }
  if (f.lines.empty() || !ReadExportHeader(f.lines.front(), f)) f.chain_id = ChainIdOfFile(f);
}

std::vector<FileData> AssignAndOrder(std::vector<FileData> out);

}  // namespace

std::vector<FileData> LoadFiles(const std::vector<std::string>& files) {
  std::vector<FileData> out;
  for (const std::string& path : files) {
    FileData f;
    f.path = path;
    std::string data;
    if (ReadWholeFile(path, data, f.error)) SplitFileData(f, data);
    out.push_back(std::move(f));
  }
  return AssignAndOrder(std::move(out));
}

std::vector<FileData> LoadBytes(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<FileData> out;
  for (const auto& [name, bytes] : files) {
    FileData f;
    f.path = name;
    SplitFileData(f, bytes);
    out.push_back(std::move(f));
  }
  return AssignAndOrder(std::move(out));
}

namespace {

std::vector<FileData> AssignAndOrder(std::vector<FileData> out) {
  // A file nothing identifies (unreadable, or every line damaged) belongs to the only chain
  // given, when there is one: its damage is then reported where it happened.
  std::string only;
  bool several = false;
  for (const FileData& f : out) {
    if (f.chain_id.empty()) continue;
    several = several || (!only.empty() && f.chain_id != only);
    only = f.chain_id;
  }
  if (!several) {
    for (FileData& f : out) f.chain_id = only;
  }
  // Files are ordered by content, not by the order given, so a shell glob or a shuffled list
  // verifies the same way; the chain then proves the order.
  std::stable_sort(out.begin(), out.end(), [](const FileData& a, const FileData& b) {
    if (a.chain_id != b.chain_id) return a.chain_id < b.chain_id;
    if (a.first_seq != b.first_seq) return a.first_seq < b.first_seq;
    return a.path < b.path;
  });
  return out;
}

}  // namespace

}  // namespace xks::audit::verify_detail
