#pragma once
// The `audit` configuration object and its parser. Parsing collects every problem at once as
// "json.path: problem — fix" strings. Thread-safe (pure); never throws.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "proxy/audit/checkpoint_signer.h"

namespace xks::audit {

enum class Durability {
  kFsync,  ///< Append returns after the record's batch is fdatasync'd (group commit)
  kWrite,  ///< Append returns after write(2) hands the record to the kernel
};

enum class Mirror { kNone, kStdout, kSyslog };

struct SignerConfig {
  enum class Type { kFile, kPkcs11 };
  Type type = Type::kFile;
  std::string key_file;  ///< kFile: PEM private key, mode 0600 or stricter
  /// kPkcs11: the whole signer object as given, for the pkcs11-layer signer to interpret.
  nlohmann::json pkcs11 = nlohmann::json::object();
};

struct AuditConfig {
  std::string directory;              ///< where audit-<seq>.jsonl files are written
  std::string file_prefix = "audit";  ///< file names: <prefix>-<20-digit first seq>.jsonl
  std::string instance_id;            ///< written in every record
  Durability durability = Durability::kFsync;
  std::chrono::milliseconds checkpoint_interval{1000};  ///< max time a record stays unsigned
  std::uint64_t checkpoint_every = 1000;                ///< ... or this many records
  std::uint64_t rotate_bytes = 64ull << 20;             ///< 0 = no size-based rotation
  std::chrono::seconds rotate_interval{0};              ///< 0 = no time-based rotation
  std::chrono::milliseconds signer_grace{5000};   ///< signer failing longer than this: fail closed
  std::chrono::milliseconds retry_interval{200};  ///< how often an unhealthy writer re-probes
  Mirror mirror = Mirror::kNone;
  SignerConfig signer;
  /// Refusals of unauthenticated requests: first per (source, result, tenant) recorded, the rest
  /// of each interval counted into one summary (RefusalAggregator). 0 = record every refusal.
  std::chrono::milliseconds refusal_aggregation_interval{10000};
  std::size_t refusal_aggregation_max_sources = 1024;  ///< addresses tracked per interval
};

/// Parses `audit` (the object found at `json_path`, e.g. "audit"). Required: directory,
/// instance_id, signer. Optional: file_prefix, durability ("fsync"|"write"),
/// checkpoint_interval_ms (10..60000), checkpoint_every (1..1000000), rotate_bytes (0 or >= 4096),
/// rotate_interval_s, signer_grace_ms, retry_interval_ms, mirror ("none"|"stdout"|"syslog"),
/// refusal_aggregation_interval_ms (0..3600000), refusal_aggregation_max_sources (1..1000000).
/// Unknown keys are errors (typos must not silently disable integrity features).
Result<AuditConfig, std::vector<std::string>> ParseAuditConfig(const nlohmann::json& audit,
                                                               std::string_view json_path);

/// Builds the signer for a `type: "file"` signer config. Errors: text; for kPkcs11 an error
/// saying the caller must construct the HSM signer.
Result<std::unique_ptr<CheckpointSigner>, std::string> MakeFileSigner(const SignerConfig& config);

}  // namespace xks::audit
