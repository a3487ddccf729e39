#pragma once
// The audit record format (docs/audit-format.md is the normative description): building record
// objects from AuditEvents, the canonical line serialisation with its chain field, the chain
// step, and the checkpoint signing payload. Pure functions; thread-safe; never throw.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/audit/audit_crypto.h"
#include "proxy/audit/audit_event.h"
#include "proxy/audit/tenant_chain.h"

namespace xks::audit {

/// Chain value before the first record ever written: 32 zero bytes.
inline constexpr Sha256Digest kGenesisChain{};

/// Length of the chain suffix `,"chain":"<64 hex>"}` every record line ends with (before '\n').
inline constexpr std::size_t kChainSuffixSize = 76;

/// The time source for record timestamps. Thread-safe implementations only.
class AuditClock {
 public:
  virtual ~AuditClock() = default;
  virtual std::chrono::system_clock::time_point Now() = 0;
};

/// The real clock.
class SystemAuditClock : public AuditClock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
};

/// RFC 3339 UTC with exactly six fractional digits, e.g. "2026-11-27T21:16:38.123456Z".
std::string FormatTimestamp(std::chrono::system_clock::time_point t);

/// Common fields of every record.
struct RecordHeader {
  std::uint64_t seq = 0;
  std::string time;
  std::string instance;
};

/// A request or admin record object (without the chain field) for `event`. Writes only the
/// documented fields of the documented types; unknown/invalid UTF-8 is handled at dump time.
/// A record naming a tenant also carries `tenantSeq` and `tenantPrev` from `link`.
nlohmann::json BuildEventRecord(const RecordHeader& header, const AuditEvent& event,
                                const TenantLink& link = {});

/// Fields of a checkpoint record.
struct CheckpointFields {
  std::uint64_t first_seq = 0;  ///< first record not covered by an earlier checkpoint
  std::uint64_t last_seq = 0;   ///< last record covered (the one just before the checkpoint)
  Sha256Digest chain_head{};    ///< chain value of record last_seq
  std::string key_id;
  std::string algorithm;
  std::string reason;  ///< "interval" | "count" | "rotation" | "shutdown" | "startup" | "forced"
  /// The tree over every tenant's head (tenant_chain.h). Present: payload v2 (the writer always
  /// writes it); absent: a v1 checkpoint written before tenant chains existed.
  std::optional<TenantRoot> tenants;
};

/// The exact bytes a checkpoint signature covers (see docs/audit-format.md): v2 when
/// `fields.tenants` is set, else v1.
std::string CheckpointPayload(const RecordHeader& header, const CheckpointFields& fields);

/// A checkpoint record object (without chain) carrying `signature_b64`.
nlohmann::json BuildCheckpointRecord(const RecordHeader& header, const CheckpointFields& fields,
                                     const std::string& signature_b64);

/// The id of the chain a writer with `instance` and file `prefix` keeps: "<instance>/<prefix>".
/// Written into every file-start record (`chainId`) so a verifier given the files of several
/// chains (the proxy's and xksctl's, or several instances') verifies each on its own.
std::string ChainIdFor(const std::string& instance, const std::string& prefix);

/// A file-start record object (without chain).
nlohmann::json BuildFileStartRecord(const RecordHeader& header, const std::string& chain_id,
                                    const std::string& prev_file, std::uint64_t prev_seq,
                                    const Sha256Digest& prev_chain);

/// A tenant-heads record object (without chain): every tenant's head as the file starts, so a
/// file can be exported and its tenants' chains continued without the files before it.
nlohmann::json BuildTenantHeadsRecord(const RecordHeader& header, const TenantHeads& heads);

/// The canonical text of a record object without its chain field: compact nlohmann dump, keys
/// sorted, non-ASCII escaped as \uXXXX, invalid UTF-8 replaced by U+FFFD.
std::string CanonicalBody(const nlohmann::json& record);

/// Serialises `record` as one line (with trailing '\n'): the canonical body with its closing
/// '}' replaced by `,"chain":"<hex>"}`, where chain = SHA-256(prev_chain || SHA-256(body)).
/// Updates `chain` from the previous to the new value.
std::string SerializeRecordLine(const nlohmann::json& record, Sha256Digest& chain);

/// The canonical body of an event record with placeholder seq and time, prepared on the
/// appending thread so the single writer thread only splices in the header values.
struct EventTemplate {
  std::string body;
  std::size_t seq_pos = 0;          ///< offset of the placeholder digit "0" of "seq"
  std::size_t time_pos = 0;         ///< offset just inside the empty "time" string
  std::string tenant;               ///< the record's tenant; "" for none (no tenant fields)
  std::size_t tenant_prev_pos = 0;  ///< offset of the 64 placeholder zeros of "tenantPrev"
  std::size_t tenant_seq_pos = 0;   ///< offset of the placeholder digit "0" of "tenantSeq"
};
/// Builds the template for `event` written by `instance`.
EventTemplate PrepareEventBody(const std::string& instance, const AuditEvent& event);
/// Exactly CanonicalBody(BuildEventRecord({seq, time, instance}, event, link)).
std::string FillEventBody(const EventTemplate& tmpl, std::uint64_t seq, const std::string& time,
                          const TenantLink& link = {});
/// The line for an already canonical `body` (see SerializeRecordLine); updates `chain`, and
/// stores SHA-256(body) in `body_digest` when given (a tenant record's chain step needs it).
std::string ChainBodyLine(std::string body, Sha256Digest& chain,
                          Sha256Digest* body_digest = nullptr);

/// A line split into the hashed body and its stored chain value. nullopt when the line does not
/// end with a well-formed chain suffix.
struct SplitLine {
  std::string body;  ///< the canonical body as hashed (ending with '}')
  Sha256Digest chain{};
};
std::optional<SplitLine> SplitRecordLine(std::string_view line_without_newline);

/// The redacted stand-in for another tenant's record in a per-tenant export:
/// {"digest":"<hex SHA-256(body)>","seq":N,"type":"redacted"} (no chain field).
std::string RedactedLine(std::uint64_t seq, const Sha256Digest& body_digest);

}  // namespace xks::audit
