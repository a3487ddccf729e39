#pragma once
// The proxy's configuration file as typed structs, and the loader/validator that builds them.
// The file format is documented field by field in docs/configuration.md.
//
// Loading never stops at the first problem: every problem is reported with its JSON path and a fix
// hint, and the proxy refuses to start (or a reload is refused) while any remains. SigV4 secrets
// are read from their files/environment variables at load time into SecretBytes; PINs are only
// checked (existence, permissions) because the PKCS#11 layer reads them itself. No secret value
// ever appears in a problem message.
//
// Thread safety: the structs are plain values. LoadConfigFile/ParseConfig are reentrant (they read
// the environment, which must not be modified concurrently).

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
#include "base/secret_bytes.h"
#include "proxy/config/audit_config.h"
#include "proxy/config/policy_config.h"
#include "proxy/config/serialize_options.h"

namespace xks::config {

/// Where a secret (PIN or SigV4 secret access key) lives. Inline secrets are not supported.
struct SecretRef {
  enum class Kind { kFile, kEnv };
  Kind kind = Kind::kFile;
  std::string where;  ///< absolute file path (relative paths are resolved at load) or variable name
  /// "file:/path" or "env:NAME"; contains no secret.
  std::string Describe() const;
  bool operator==(const SecretRef&) const = default;
};

/// `server.tls`: maps onto the server's TLS options.
struct TlsConfig {
  std::string certificate_chain_file;
  std::string private_key_file;
  std::string client_ca_file;  ///< empty: no client certificates requested (no mTLS)
  /// With client_ca_file: the only client certificate subject CNs accepted, e.g.
  /// "cks.kms.eu-west-1.amazonaws.com" (XKS spec, "Authentication").
  std::vector<std::string> allowed_client_common_names;
  bool operator==(const TlsConfig&) const = default;
};

/// `server.health_listener`: a listener of its own for load-balancer checks, for when the API port
/// requires client certificates (an NLB's HTTPS check presents none). It answers only
/// GET/HEAD `server.ping_path`.
struct HealthListenerConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 8080;
  std::optional<TlsConfig> tls;  ///< absent: plain HTTP; never with client_ca_file
  /// false: 200 while the process serves. true: 503 while it cannot serve any key operation (the
  /// audit log cannot be written, or every HSM token reads UNAVAILABLE).
  bool deep = false;
  bool operator==(const HealthListenerConfig&) const = default;
};

/// `server`: the listener and request limits.
struct ServerConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 443;
  bool insecure = false;         ///< plain HTTP; for local tests only, refused together with tls
  std::optional<TlsConfig> tls;  ///< required unless insecure
  std::size_t io_threads = 2;
  std::size_t worker_threads = 4;
  std::size_t queue_limit = 256;  ///< queued requests beyond the workers before ThrottlingException
  /// Queued requests the API could not tie to a tenant's credentials (their own lane).
  std::size_t low_priority_queue_limit = 32;
  std::chrono::milliseconds hsm_time_budget{200};
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
  /// Idle limit until a response on the connection was authenticated (at most idle_timeout).
  std::chrono::milliseconds unauthenticated_idle_timeout{10000};
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 256;  ///< 0: no cap
  std::size_t max_handshakes_in_progress = 64;    ///< 0: no cap
  std::size_t max_body_bytes = 65536;
  std::string ping_path = "/ping";  ///< unauthenticated load-balancer health check (GET)
  /// Key operations of all tenants together with the HSMs at once (queued for a token or
  /// running); beyond it ThrottlingException. Generous: 1800 requests/s at 250 ms each is 450.
  std::size_t max_concurrent_hsm = 1024;
  std::optional<HealthListenerConfig> health_listener;  ///< absent: none
  bool operator==(const ServerConfig&) const = default;
};

/// `admin`: a listener of its own serving GET /metrics (Prometheus text format). Loopback and
/// plain HTTP by default; any other address needs tls and a bearer token or client certificates
/// (tls.client_ca_file), or the file is refused.
struct AdminConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 9443;
  std::optional<TlsConfig> tls;   ///< shaped like server.tls; absent: plain HTTP (loopback only)
  std::string bearer_token_file;  ///< "" : no token required
  SecretBytes bearer_token;       ///< read from bearer_token_file at load time
  /// Equal when every field is (constant-time on the token).
  bool operator==(const AdminConfig& other) const;
  AdminConfig Clone() const;
};

/// `log`: how the proxy writes its log lines on stderr.
struct LogConfig {
  /// "text" (default: `time LEVEL component message`, key=value request lines) or "json" (one
  /// JSON object per line; request lines with one member per field).
  std::string format = "text";
  bool operator==(const LogConfig&) const = default;
};

/// True for 127.0.0.0/8 and ::1 (an IP address literal; anything else, host names too, is false).
bool IsLoopbackAddress(const std::string& address);

/// `api`: tuning of the four operations (docs/configuration.md).
struct ApiConfig {
  std::size_t max_plaintext_bytes = 4300;  ///< >= 4300 (spec minimum); beyond: 501
  std::size_t max_ciphertext_bytes = 4300;
  std::size_t max_aad_bytes = 8192;  ///< >= 8192 (spec minimum); beyond: 501
  std::size_t max_arn_chars = 2048;  ///< >= 2048 (spec minimum); beyond: 501
  /// "when_cdiv_requested" (default), "always" or "never": decrypt each fresh ciphertext through
  /// the HSM before answering Encrypt (spec Appendix C, step 3).
  std::string verify_encrypt = "when_cdiv_requested";
  std::chrono::milliseconds key_attribute_cache_ttl{10000};
  std::chrono::milliseconds health_check_interval{20000};  ///< < 60 s so results stay fresh
  std::chrono::milliseconds health_degraded_latency{100};  ///< slower checks report DEGRADED
  /// A deep check not ended after this long reads UNAVAILABLE (the HSM hangs).
  std::chrono::milliseconds health_check_timeout{2000};
  /// Between checks of a token whose latest verdict is a failure: how fast a recovery shows.
  std::chrono::milliseconds health_probe_interval{1000};
  /// Consecutive HSM-side failures of live requests that make a token UNAVAILABLE (0: ignored).
  std::uint32_t health_live_failure_run = 3;
  std::chrono::milliseconds health_live_failure_window{10000};  ///< the run must fit in this
  std::uint32_t fleet_size = 1;
  std::string ekm_vendor = "PKCS#11";
  bool operator==(const ApiConfig&) const = default;
};

/// `hsm.modules[]`: one PKCS#11 module (maps onto pkcs11::ModuleConfig).
struct ModuleConfig {
  std::string id;
  std::string module;  ///< file path (contains '/') or p11-kit module name, e.g. "softhsm2"
  bool generate_iv_in_hsm = false;  ///< module generates the GCM IV in C_EncryptInit
  /// C_Initialize's pReserved string, for modules configured that way (NSS softokn); usually empty.
  std::string initialize_parameters;
  bool operator==(const ModuleConfig&) const = default;
};

/// `hsm.tokens[]`: one token (maps onto pkcs11::TokenConfig).
struct TokenConfig {
  std::string id;
  std::string module_id;
  std::string token;  ///< RFC 7512 "pkcs11:token=..." URI or a plain token label
  SecretRef pin;
  std::size_t max_sessions = 2;
  /// Calls still running past their deadline (a hung HSM) at which new work for this token is
  /// refused at once with DependencyTimeout; 0: max_sessions.
  std::size_t max_stuck_calls = 0;
  /// Requests waiting for this token's sessions beyond the max_sessions running; beyond it (or
  /// when the wait would outlast the time budget) ThrottlingException at once.
  std::size_t queue_limit = 256;
  std::string health_check_key;  ///< label of the dedicated health-check key (never a tenant key)
  /// Use session-object copies of the keys (pkcs11::TokenConfig); the token keys where the
  /// module refuses copies.
  bool copy_keys_to_session_objects = true;
  bool operator==(const TokenConfig&) const = default;
};

struct HsmConfig {
  std::vector<ModuleConfig> modules;
  std::vector<TokenConfig> tokens;
  const TokenConfig* FindToken(std::string_view id) const;
  const ModuleConfig* FindModule(std::string_view id) const;
  bool operator==(const HsmConfig&) const = default;
};

/// One version of a tenant key. Encrypt uses the highest non-retired version; Decrypt uses the
/// version recorded in the ciphertextMetadata (retired versions still decrypt).
struct KeyVersionConfig {
  std::uint16_t version = 1;  ///< 1..65535
  std::string label;          ///< HSM key label or a "pkcs11:object=..." URI
  bool retired = false;
  bool operator==(const KeyVersionConfig&) const = default;
};

/// `tenants[].keys.<externalKeyId>`.
struct KeyConfig {
  std::string external_key_id;
  std::vector<KeyVersionConfig> versions;  ///< sorted by version, never empty once validated
  bool disabled = false;  ///< GetKeyMetadata says DISABLED; encrypt/decrypt refused
  bool operator==(const KeyConfig&) const = default;
};

/// `tenants[].credentials[]`: one SigV4 credential; the secret is loaded at load time.
struct CredentialConfig {
  std::string access_key_id;
  SecretRef secret_ref;
  SecretBytes secret;  ///< the secret access key read from secret_ref
  /// Equal when id, reference and the secret read from it are (constant-time on the secret).
  bool operator==(const CredentialConfig& other) const;
};

/// `tenants[].quota`: one tenant's limits (docs/configuration.md); 0: that limit is off.
struct QuotaConfig {
  std::uint32_t requests_per_second = 0;  ///< token bucket refill rate
  std::uint32_t burst = 0;                ///< bucket size; requests_per_second unless given
  std::uint32_t max_concurrent_hsm = 0;   ///< key operations with the HSM at once
  bool operator==(const QuotaConfig&) const = default;
};

/// `tenants[]`.
struct TenantConfig {
  std::string name;
  std::string path_prefix;  ///< "" or "/a/b"; XksProxyUriPath is path_prefix + "/kms/xks/v1"
  /// hsm.tokens[].id of each fleet member, in the order written ("token": one member; "tokens":
  /// several tokens holding the same key material, e.g. an HSM cluster). Used by this tenant
  /// only; never empty once validated. The first member is where xksctl creates keys.
  std::vector<std::string> tokens;
  bool disabled = false;  ///< every request answers InvalidStateException
  std::vector<CredentialConfig> credentials;
  std::vector<KeyConfig> keys;  ///< sorted by external_key_id
  QuotaConfig quota;            ///< absent: no limit of the tenant's own
  /// Absent: every authenticated request is allowed.
  std::optional<PolicyConfig> policy;
  /// The first member: where xksctl creates keys (a vendor's replication copies them on).
  const std::string& primary_token() const { return tokens.front(); }
  bool operator==(const TenantConfig&) const = default;
};

/// `process`: the account the proxy runs as once its listeners are bound and its files open
/// (proxy/runtime/privileges.h). Started as root with no user, it refuses to start unless
/// allow_root is true; started as anyone else, all of this is ignored.
struct ProcessConfig {
  std::string user;         ///< "" (default): no change of user
  std::string group;        ///< "" (default): the user's primary group; needs `user`
  bool allow_root = false;  ///< with no user: run on as root (tests, containers that drop later)
  bool operator==(const ProcessConfig&) const = default;
};

/// The whole file, validated. Move-only (holds secrets).
struct Config {
  std::string source_path;  ///< the file it came from ("" when parsed from memory)
  ProcessConfig process;
  ServerConfig server;
  ApiConfig api;
  HsmConfig hsm;
  AuditConfig audit;
  std::vector<TenantConfig> tenants;
  std::optional<AdminConfig> admin;  ///< absent: no admin listener
  LogConfig log;
  bool operator==(const Config&) const = default;
};

/// Parses and validates a configuration document. `base_dir` resolves relative file paths.
/// Returns every problem found; never throws.
Result<Config, Problems> ParseConfig(const nlohmann::json& document, std::string_view base_dir);

/// Reads `path`, parses it as JSON and calls ParseConfig with the file's directory as base_dir.
/// Returns every problem found (a JSON syntax error is one problem at path "$"); never throws.
Result<Config, Problems> LoadConfigFile(const std::string& path);

/// The configuration as the JSON document ParseConfig reads (secrets as their file/env
/// references, never their values). Parsing the result with any base_dir gives structures equal
/// to `config` (paths in it are absolute where ParseConfig resolved them). By default every field
/// is written, defaults included; see SerializeOptions for the short form. Never throws.
nlohmann::json SerializeConfig(const Config& config, const SerializeOptions& options = {});

/// `config` (typically `original` parsed and then edited) written back as the operator's file
/// `original` would have it: the short form (SerializeOptions::omit_defaults), keeping what the
/// operator wrote that the structures cannot hold — comment keys (names starting with '_', which
/// ParseConfig ignores), defaults spelt out (while they still hold), the relative spelling of a
/// path (module, TLS, secret, audit directory and key file) that still names the same file against
/// `base_dir`, and a key's
/// short form {"label": ...} while it has only that version. Objects are matched by key, array
/// entries by their id, name, access_key_id or version. Parsing the result against `base_dir`
/// gives `config`. Never throws.
nlohmann::json SerializeKeepingHandWrittenForm(const Config& config, const nlohmann::json& original,
                                               std::string_view base_dir);

/// The XKS spec's rules, shared with proxy/api.
bool IsValidExternalKeyId(std::string_view id);   ///< 1..128 of A-Za-z0-9 . - _
bool IsValidAccessKeyId(std::string_view id);     ///< 20..30 of A-Z 2-7
bool IsValidSecretAccessKey(std::string_view s);  ///< 43..64 of A-Za-z0-9 + / =
/// "" or '/'-started, not '/'-ended, of a-zA-Z0-9/-_, no empty segment, not containing the
/// segment sequence "kms/xks/v1", and prefix + "/kms/xks/v1" at most 128 characters.
bool IsValidPathPrefix(std::string_view prefix);

/// The fixed API path under a tenant prefix (spec "API operations").
inline constexpr std::string_view kXksApiPath = "/kms/xks/v1";
/// Most members one tenant's fleet may name (tenants[].tokens): GetHealthStatus lists each in
/// ekmFleetDetails, which "MUST not return more than ten entries" (XKS spec, version history).
inline constexpr std::size_t kMaxFleetMembers = 10;

}  // namespace xks::config
