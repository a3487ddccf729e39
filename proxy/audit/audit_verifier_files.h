#pragma once
// Reading audit files for verification and export: lines, parsed entries, and the chain each file
// belongs to. Internal to proxy/audit (audit_verifier.cc, erasure_verifier.cc). Never throws.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/audit/audit_crypto.h"
#include "proxy/audit/audit_record.h"
#include "proxy/audit/audit_verifier.h"
#include "proxy/audit/checkpoint_signer.h"

namespace xks::audit::verify_detail {

/// One line of an audit file (or export) as the verifier sees it.
struct Entry {
  std::string file;
  std::size_t line = 0;
  bool malformed = false;
  std::uint64_t seq = 0;
  std::string type;
  Sha256Digest digest{};
  std::optional<Sha256Digest> stored_chain;  ///< absent for redacted stand-ins
  nlohmann::json rec;                        ///< parsed body (checkpoint and file-start fields)
};

/// A file's complete lines and the chain it belongs to.
struct FileData {
  std::string path;
  std::vector<std::string> lines;  ///< complete lines, without '\n'
  bool incomplete_tail = false;
  std::string error;  ///< non-empty when the file could not be read
  std::uint64_t first_seq = UINT64_MAX;
  std::string chain_id;       ///< see ChainIdOfFile; "" when nothing in the file identifies it
  std::string export_tenant;  ///< a tenant-complete export's tenant (its header line); else ""
};

/// What a checkpoint's signature says: the fields it signed (v1 or v2 payload), or why it
/// cannot be trusted (kUnknownKey or kBadSignature, with the detail to report).
struct CheckpointVerdict {
  CheckpointFields fields;
  std::optional<FindingKind> failure;
  std::string detail;
};
CheckpointVerdict VerifyCheckpointEntry(const Entry& x, const std::vector<VerificationKey>& keys);

/// The first line of a tenant-complete export: {"chainId","format":2,"tenant","type":
/// "tenant-export"}.
inline constexpr const char* kTenantExportType = "tenant-export";
/// Its proof lines: {"checkpointSeq","index","path","size","tenant","tenantChain","tenantSeq",
/// "type":"tenant-proof"}.
inline constexpr const char* kTenantProofType = "tenant-proof";

std::string GetString(const nlohmann::json& j, const char* key);
std::uint64_t GetU64(const nlohmann::json& j, const char* key);

/// The `heads` of a tenant-heads record (malformed entries are left out; the chain check of
/// the verifier reports what they break).
TenantHeads ParseTenantHeads(const nlohmann::json& rec);

/// Parses one line (a chained record or an export's redacted stand-in).
Entry ParseEntry(const std::string& file, std::size_t line_no, const std::string& line);

/// Reads `files`, each with its chain id, ordered by (chain id, first seq, path).
std::vector<FileData> LoadFiles(const std::vector<std::string>& files);
/// The same for files already in memory: (name, bytes) pairs.
std::vector<FileData> LoadBytes(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace xks::audit::verify_detail
