#pragma once
// What the rest of the proxy tells the audit log about one request or one administrative event.
// The audit room (proxy/audit) turns it into a signed, hash-chained record; the format is
// documented in docs/audit-format.md. An AuditEvent must never carry plaintext, ciphertext, AAD,
// tags, IVs, PINs or secrets: only lengths and identifiers.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace xks::audit {

struct AuditEvent {
  enum class Kind {
    kRequest,  ///< one XKS API request (or a request that never reached an operation)
    kAdmin,    ///< start, stop, reload, credential/key change, disable/enable, shred
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
  std::string policy_statement;  ///< the policy statement that decided a denial, if any

  std::chrono::microseconds total_latency{0};
  std::chrono::microseconds hsm_latency{0};
  std::optional<std::size_t> plaintext_length;
  std::optional<std::size_t> ciphertext_length;

  /// Admin events: what changed (e.g. {"keys":["k1","k2"]}). Never secrets.
  nlohmann::json details = nlohmann::json::object();
};

}  // namespace xks::audit
