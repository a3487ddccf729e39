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
  std::string chain_id;  ///< see ChainIdOfFile; "" when nothing in the file identifies it
};

std::string GetString(const nlohmann::json& j, const char* key);
std::uint64_t GetU64(const nlohmann::json& j, const char* key);

/// Parses one line (a chained record or an export's redacted stand-in).
Entry ParseEntry(const std::string& file, std::size_t line_no, const std::string& line);

/// Reads `files`, each with its chain id, ordered by (chain id, first seq, path).
std::vector<FileData> LoadFiles(const std::vector<std::string>& files);
/// The same for files already in memory: (name, bytes) pairs.
std::vector<FileData> LoadBytes(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace xks::audit::verify_detail
