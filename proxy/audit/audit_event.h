#pragma once
// What the rest of the proxy tells the audit log about one request or one administrative event.
// The audit room (proxy/audit) turns it into a signed, hash-chained record; the format is
// documented in docs/audit-format.md. An AuditEvent must never carry plaintext, ciphertext, AAD,
// tags, IVs, PINs or secrets: only lengths and identifiers.

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

namespace xks::audit {

struct AuditEvent {
  enum class Kind {
    kRequest,  ///< one XKS API request (or a request that never reached an operation)
    kAdmin,    ///< start, stop, reload, credential/key change, disable/enable, shred
    /// Refusals of unauthenticated requests that were counted instead of recorded one by one
    /// (RefusalAggregator): tenant, client_address (an IP address, or "*" for the sources beyond
    /// the tracking cap), result, http_status, refusal_count, first_refusal, last_refusal.
    kRefusalSummary,
  };
  Kind kind = Kind::kRequest;

  /// Request: "GetKeyMetadata", "Encrypt", "Decrypt", "GetHealthStatus", or "Unknown" when the
  /// path named no operation. Admin: a dotted action name, e.g. "proxy.start", "config.reload",
  /// "key.disable", "tenant.shred".
  std::string operation;
  std::string tenant;           ///< empty when the request matched no tenant
  std::string external_key_id;  ///< empty when none
  std::string key_label;        ///< the HSM key label (or URI) the key id resolved to
  /// The requestMetadata object as received (all fields, known and unknown). Only string-valued
  /// identifiers per the spec's Appendix B; never secrets.
  nlohmann::json request_metadata = nlohmann::json::object();
  std::string access_key_id;  ///< SigV4 access key id presented (even if authentication failed)
  std::string client_address;
  std::optional<std::string> client_cert_subject;  ///< with mTLS
  std::string http_method;
  std::string http_path;  ///< the request path without the query string

  std::string result = "OK";  ///< "OK" or the spec errorName
  int http_status = 200;
  std::string policy_statement;  ///< the deciding tenants[].policy statement ("" without a policy)

  std::chrono::microseconds total_latency{0};
  std::chrono::microseconds hsm_latency{0};
  std::optional<std::size_t> plaintext_length;
  std::optional<std::size_t> ciphertext_length;
  /// Encrypt only, once the HSM produced a ciphertext: "decrypted" (the verifying decrypt
  /// returned the plaintext), "failed" (it did not; the request failed),
  /// "skipped_key_cannot_decrypt" (wanted, but the key may only encrypt) or "not_requested"
  /// (api.verify_encrypt did not call for one). Empty: not applicable (omitted from the record).
  std::string encrypt_verification;
  /// Client-supplied requestMetadata strings cut to the audit caps: field name -> original size in
  /// bytes (see docs/audit-format.md). Empty object: nothing was cut (omitted from the record).
  nlohmann::json request_metadata_truncated = nlohmann::json::object();

  /// Refusal summaries: how many refusals were counted, and when the first and last arrived.
  std::uint64_t refusal_count = 0;
  std::chrono::system_clock::time_point first_refusal{};
  std::chrono::system_clock::time_point last_refusal{};

  /// Admin events: what changed (e.g. {"keys":["k1","k2"]}). Never secrets.
  nlohmann::json details = nlohmann::json::object();
};

/// An administrative event (Kind::kAdmin): what the proxy records of its own lifecycle and
/// reloads, and what xksctl records of its actions, in the same shape.
inline AuditEvent AdminEvent(std::string operation, std::string tenant, std::string external_key_id,
                             nlohmann::json details) {
  AuditEvent event;
  event.kind = AuditEvent::Kind::kAdmin;
  event.operation = std::move(operation);
  event.tenant = std::move(tenant);
  event.external_key_id = std::move(external_key_id);
  event.details = std::move(details);
  return event;
}

}  // namespace xks::audit
