#pragma once
// The `audit` configuration object and its parser, part of the one configuration schema
// (config.h: ParseConfig parses this section in the same pass as the rest of the file). Parsing
// collects every problem at once, each with its JSON path and a fix. Thread-safe (pure); never
// throws.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/config/serialize_options.h"

namespace xks::config {

enum class Durability {
  kFsync,  ///< Append returns after the record's batch is fdatasync'd (group commit)
  kWrite,  ///< Append returns after write(2) hands the record to the kernel
};

enum class Mirror { kNone, kStdout, kSyslog };

/// `audit.signer`: the key that signs checkpoints.
struct SignerConfig {
  enum class Type { kFile, kPkcs11 };
  Type type = Type::kFile;
  std::string key_file;   ///< kFile: PEM private key, mode 0600 or stricter (as written)
  std::string token;      ///< kPkcs11: the hsm.tokens id holding the key (never a tenant's token)
  std::string key_label;  ///< kPkcs11: label of the ECDSA P-256 key pair on that token
  bool operator==(const SignerConfig&) const = default;
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
  /// The local admin socket through which xksctl reaches the proxy that writes this chain
  /// (reload, admin events into the chain, live status). Absent: "<directory>/admin.sock";
  /// "": no socket. See AdminSocketPath.
  std::optional<std::string> admin_socket;
  bool operator==(const AuditConfig&) const = default;
};

/// Where the admin socket of the chain's writer is (the default when `admin_socket` is absent),
/// or "" when it is switched off.
std::string AdminSocketPath(const AuditConfig& config);

/// Longest socket path the kernel takes (sun_path holds 108 bytes with the terminating NUL).
inline constexpr std::size_t kMaxAdminSocketPath = 107;

/// Parses `audit` (the object found at `json_path`, e.g. "audit"). Required: directory,
/// instance_id, signer. Optional: file_prefix, durability ("fsync"|"write"),
/// checkpoint_interval_ms (10..60000), checkpoint_every (1..1000000), rotate_bytes (0 or >= 4096),
/// rotate_interval_s, signer_grace_ms, retry_interval_ms, mirror ("none"|"stdout"|"syslog"),
/// refusal_aggregation_interval_ms (0..3600000), refusal_aggregation_max_sources (1..1000000),
/// admin_socket (a path, or "" for none).
/// A file signer needs key_file, a pkcs11 signer token and key_label. Unknown keys are errors
/// (typos must not silently disable integrity features). Paths are kept as written here;
/// ParseConfig resolves them against the configuration file's directory like every other path.
Result<AuditConfig, Problems> ParseAuditConfig(const nlohmann::json& audit,
                                               std::string_view json_path);

/// The `audit` object that ParseAuditConfig reads back as `config` (every field written, so the
/// file says what runs, unless `options.omit_defaults`).
nlohmann::json SerializeAuditConfig(const AuditConfig& config,
                                    const SerializeOptions& options = {});

}  // namespace xks::config
