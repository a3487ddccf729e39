#include "proxy/tenant/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/file_io.h"
#include "base/secret_file.h"

namespace xks::tenant {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxPathPrefixTotal = 128;  // spec: XksProxyUriPath <= 128 characters
// The largest body a spec-conformant request can have (AAD 10924 + ciphertext 5736 Base64
// characters, two 2048-character ARNs, field names and other metadata) stays below this, so a
// smaller body limit would refuse valid KMS requests.
constexpr std::size_t kMinBodyBytes = 32768;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}
std::string Index(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// Collects problems; every accessor reports instead of throwing so one pass finds everything.
class Checker {
 public:
  void Add(std::string path, std::string message) {
    problems_.push_back({std::move(path), std::move(message)});
  }
  ConfigProblems Take() { return std::move(problems_); }
  bool empty() const { return problems_.empty(); }

  // Keys beginning with '_' are comments and ignored; anything else unknown is most likely a
  // typo that would silently fall back to a default, so it is a problem.
  void CheckKnown(const json& obj, std::string_view path,
                  std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : obj.items()) {
      if (!key.empty() && key[0] == '_') continue;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string allowed;
        for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        Add(Join(path, key), "unknown field — remove it or use one of: " + allowed);
      }
    }
  }

  const json* Object(const json& parent, std::string_view key, std::string_view path,
                     bool required) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) Add(Join(path, key), "missing — add this object");
      return nullptr;
    }
    if (!it->is_object()) {
      Add(Join(path, key), "must be a JSON object");
      return nullptr;
    }
    return &*it;
  }

  const json* Array(const json& parent, std::string_view key, std::string_view path,
                    bool required) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) Add(Join(path, key), "missing — add this array");
      return nullptr;
    }
    if (!it->is_array()) {
      Add(Join(path, key), "must be a JSON array");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> String(const json& parent, std::string_view key, std::string_view path,
                                    bool required, std::string_view hint = "") {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) {
        Add(Join(path, key),
            std::string("missing") + (hint.empty() ? "" : " — ") + std::string(hint));
      }
      return std::nullopt;
    }
    if (!it->is_string()) {
      Add(Join(path, key), "must be a string");
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<bool> Bool(const json& parent, std::string_view key, std::string_view path) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) return std::nullopt;
    if (!it->is_boolean()) {
      Add(Join(path, key), "must be true or false");
      return std::nullopt;
    }
    return it->get<bool>();
  }

  std::optional<std::uint64_t> Uint(const json& parent, std::string_view key, std::string_view path,
                                    std::uint64_t min, std::uint64_t max, bool required = false) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) Add(Join(path, key), "missing — give an integer");
      return std::nullopt;
    }
    const bool negative =
        it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() < 0;
    if (!it->is_number_integer() || negative) {
      Add(Join(path, key),
          "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    const std::uint64_t v = it->is_number_unsigned()
                                ? it->get<std::uint64_t>()
                                : static_cast<std::uint64_t>(it->get<std::int64_t>());
    if (v < min || v > max) {
      Add(Join(path, key), "must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + " (got " + std::to_string(v) + ")");
      return std::nullopt;
    }
    return v;
  }

 private:
  ConfigProblems problems_;
};

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return std::string(base_dir) + "/" + path;
}

// Tenant secrets (PIN files, SigV4 secret files) follow symlinks (Kubernetes mounts secrets that
// way); the target must be a regular file nobody but the owner can read or write. The checks run
// on an open descriptor (base/secret_file.h). A PIN file is only checked here (PinSource reads
// and caps it when the token opens), so no size cap applies to the check.
constexpr SecretFileOptions kSecretCheckOptions{.max_bytes = kNoSizeLimit,
                                                .follow_symlinks = true};
// A SigV4 secret file holds one secret access key; 4096 bytes is far more than any valid one.
constexpr std::size_t kMaxSecretFileBytes = 4096;
constexpr SecretFileOptions kSecretReadOptions{
    .max_bytes = kMaxSecretFileBytes, .follow_symlinks = true, .allow_empty = true};

// The problem for a secret file that failed a check, worded for the operator (never the content).
std::string SecretFileProblem(const SecretFileError& e) {
  const std::string& file = e.path;
  switch (e.kind) {
    case SecretFileErrorKind::kMissing:
      return "file " + file + " does not exist or cannot be accessed — create it (mode 0600)";
    case SecretFileErrorKind::kSymlink:
    case SecretFileErrorKind::kNotRegular:
      return "file " + file + " is not a regular file — point to a file holding the secret";
    case SecretFileErrorKind::kAccessibleByOthers:
      return "file " + file + " is accessible by group or others — run: chmod 600 " + file;
    case SecretFileErrorKind::kTooLarge:
      return "file " + file + " is larger than " + std::to_string(kMaxSecretFileBytes) +
             " bytes — it must hold only the secret";
    case SecretFileErrorKind::kEmpty:
    case SecretFileErrorKind::kIo:
      break;
  }
  return "file " + file + " cannot be read — check its owner and mode";
}

bool CheckSecretRefFile(const std::string& file, const std::string& path, Checker& c) {
  auto checked = ::xks::CheckSecretFile(file, kSecretCheckOptions);
  if (!checked.ok()) c.Add(path, SecretFileProblem(checked.error()));
  return checked.ok();
}

// The TLS private key gets the secret-file checks on an open descriptor; OpenSSL loads it later.
void CheckTlsPrivateKeyFile(const std::string& file, const std::string& path, Checker& c) {
  auto checked = ::xks::CheckSecretFile(file, kSecretCheckOptions);
  if (checked.ok()) return;
  switch (checked.error().kind) {
    case SecretFileErrorKind::kMissing:
    case SecretFileErrorKind::kSymlink:
    case SecretFileErrorKind::kNotRegular:
      c.Add(path, "file " + file + " does not exist — give an existing PEM file");
      return;
    case SecretFileErrorKind::kAccessibleByOthers:
      c.Add(path, "file " + file + " is accessible by group or others — run: chmod 600 " + file);
      return;
    case SecretFileErrorKind::kTooLarge:
    case SecretFileErrorKind::kEmpty:
    case SecretFileErrorKind::kIo:
      break;
  }
  c.Add(path, "file " + file + " cannot be read — check its owner and mode");
}

// Parses {"file": path} or {"env": NAME}; inline secrets are refused on purpose so the config file
// can be shared and versioned.
std::optional<SecretRef> ParseSecretRef(const json& parent, std::string_view key,
                                        std::string_view path, std::string_view base_dir,
                                        Checker& c) {
  const std::string p = Join(path, key);
  auto it = parent.find(std::string(key));
  if (it == parent.end()) {
    c.Add(p, R"(missing — give {"file": "/path"} or {"env": "VARIABLE"})");
    return std::nullopt;
  }
  if (it->is_string()) {
    c.Add(p, R"(inline secrets are not allowed — use {"file": "/path"} or {"env": "VARIABLE"})");
    return std::nullopt;
  }
  if (!it->is_object()) {
    c.Add(p, R"(must be {"file": "/path"} or {"env": "VARIABLE"})");
    return std::nullopt;
  }
  c.CheckKnown(*it, p, {"file", "env"});
  bool has_file = it->contains("file"), has_env = it->contains("env");
  if (has_file == has_env) {
    c.Add(p, R"(give exactly one of "file" or "env")");
    return std::nullopt;
  }
  SecretRef ref;
  if (has_file) {
    auto f = c.String(*it, "file", p, true);
    if (!f || f->empty()) {
      if (f) c.Add(Join(p, "file"), "empty — give the path of the file holding the secret");
      return std::nullopt;
    }
    ref.kind = SecretRef::Kind::kFile;
    ref.where = Resolve(base_dir, *f);
    if (!CheckSecretRefFile(ref.where, Join(p, "file"), c)) return std::nullopt;
  } else {
    auto e = c.String(*it, "env", p, true);
    if (!e || e->empty()) {
      if (e) c.Add(Join(p, "env"), "empty — give the name of an environment variable");
      return std::nullopt;
    }
    ref.kind = SecretRef::Kind::kEnv;
    ref.where = *e;
    const char* v = std::getenv(e->c_str());
    if (v == nullptr || *v == '\0') {
      c.Add(Join(p, "env"), "environment variable " + *e + " is not set or empty — export it");
      return std::nullopt;
    }
  }
  return ref;
}

std::optional<SecretBytes> ReadSecret(const SecretRef& ref, const std::string& path, Checker& c) {
  if (ref.kind == SecretRef::Kind::kEnv) {
    const char* v = std::getenv(ref.where.c_str());
    if (v == nullptr) return std::nullopt;  // already reported by ParseSecretRef
    return SecretBytes(std::string_view(v));
  }
  // Checked and read on one descriptor, straight into zeroizing memory.
  auto secret = ReadSecretFile(ref.where, kSecretReadOptions);
  if (!secret.ok()) {
    c.Add(path, SecretFileProblem(secret.error()));
    return std::nullopt;
  }
  return std::move(secret).value();
}

std::optional<std::chrono::milliseconds> Millis(Checker& c, const json& obj, std::string_view key,
                                                std::string_view path, std::uint64_t min,
                                                std::uint64_t max) {
  auto v = c.Uint(obj, key, path, min, max);
  if (!v) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(*v));
}

void ParseServer(const json& s, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "server";
  c.CheckKnown(
      s, p,
      {"listen_address", "port", "insecure", "tls", "io_threads", "worker_threads", "queue_limit",
       "low_priority_queue_limit", "hsm_time_budget_ms", "read_timeout_ms", "write_timeout_ms",
       "idle_timeout_ms", "unauthenticated_idle_timeout_ms", "max_connections",
       "max_connections_per_address", "max_handshakes_in_progress", "max_body_bytes", "ping_path"});
  ServerConfig& out = cfg.server;
  if (auto v = c.String(s, "listen_address", p, false)) {
    if (v->empty()) c.Add(Join(p, "listen_address"), "empty — give an IP address, e.g. 0.0.0.0");
    out.listen_address = *v;
  }
  if (auto v = c.Uint(s, "port", p, 0, 65535)) out.port = static_cast<std::uint16_t>(*v);
  if (auto v = c.Bool(s, "insecure", p)) out.insecure = *v;
  if (const json* t = c.Object(s, "tls", p, false)) {
    const std::string tp = Join(p, "tls");
    c.CheckKnown(*t, tp,
                 {"certificate_chain_file", "private_key_file", "client_ca_file",
                  "allowed_client_common_names"});
    TlsConfig tls;
    auto file = [&](std::string_view key, bool required, std::string& dst, bool secret) {
      auto v = c.String(*t, key, tp, required, "give a PEM file path");
      if (!v) return;
      dst = Resolve(base_dir, *v);
      if (secret) {
        CheckTlsPrivateKeyFile(dst, Join(tp, key), c);
        return;
      }
      std::error_code ec;  // like stat(2): symlinks followed, any failure means "not there"
      if (!std::filesystem::is_regular_file(dst, ec)) {
        c.Add(Join(tp, key), "file " + dst + " does not exist — give an existing PEM file");
      }
    };
    file("certificate_chain_file", true, tls.certificate_chain_file, false);
    file("private_key_file", true, tls.private_key_file, true);
    if (t->contains("client_ca_file")) file("client_ca_file", false, tls.client_ca_file, false);
    if (const json* cns = c.Array(*t, "allowed_client_common_names", tp, false)) {
      for (std::size_t i = 0; i < cns->size(); ++i) {
        const json& cn = (*cns)[i];
        if (!cn.is_string() || cn.get<std::string>().empty()) {
          c.Add(Index(Join(tp, "allowed_client_common_names"), i),
                "must be a non-empty string, e.g. cks.kms.us-east-1.amazonaws.com");
        } else {
          tls.allowed_client_common_names.push_back(cn.get<std::string>());
        }
      }
      if (!cns->empty() && !t->contains("client_ca_file")) {
        c.Add(Join(tp, "allowed_client_common_names"),
              "needs client_ca_file — add the CA that issues the client certificates");
      }
    }
    out.tls = std::move(tls);
  }
  if (out.insecure && out.tls) {
    c.Add(Join(p, "insecure"), "true together with tls — remove one of them");
  }
  if (!out.insecure && !out.tls) {
    c.Add(Join(p, "tls"),
          "missing — add certificate_chain_file and private_key_file, or set "
          "insecure: true for local tests");
  }
  if (auto v = c.Uint(s, "io_threads", p, 1, 256)) out.io_threads = *v;
  if (auto v = c.Uint(s, "worker_threads", p, 1, 1024)) out.worker_threads = *v;
  if (auto v = c.Uint(s, "queue_limit", p, 1, 1000000)) out.queue_limit = *v;
  if (auto v = c.Uint(s, "low_priority_queue_limit", p, 1, 1000000)) {
    out.low_priority_queue_limit = *v;
  }
  // AWS KMS gives up after 250 ms (spec), so a longer budget would only waste HSM capacity.
  if (auto v = Millis(c, s, "hsm_time_budget_ms", p, 1, 249)) out.hsm_time_budget = *v;
  if (auto v = Millis(c, s, "read_timeout_ms", p, 1, 600000)) out.read_timeout = *v;
  if (auto v = Millis(c, s, "write_timeout_ms", p, 1, 600000)) out.write_timeout = *v;
  if (auto v = Millis(c, s, "idle_timeout_ms", p, 1, 3600000)) out.idle_timeout = *v;
  if (auto v = Millis(c, s, "unauthenticated_idle_timeout_ms", p, 1, 3600000)) {
    out.unauthenticated_idle_timeout = *v;
  }
  if (auto v = c.Uint(s, "max_connections", p, 1, 1000000)) out.max_connections = *v;
  if (auto v = c.Uint(s, "max_connections_per_address", p, 0, 1000000)) {
    out.max_connections_per_address = *v;
  }
  if (auto v = c.Uint(s, "max_handshakes_in_progress", p, 0, 1000000)) {
    out.max_handshakes_in_progress = *v;
  }
  if (auto v = c.Uint(s, "max_body_bytes", p, kMinBodyBytes, 16u << 20)) out.max_body_bytes = *v;
  if (auto v = c.String(s, "ping_path", p, false)) {
    if (v->empty() || (*v)[0] != '/' || v->find(kXksApiPath) != std::string::npos) {
      c.Add(Join(p, "ping_path"),
            "must start with '/' and must not contain /kms/xks/v1, e.g. /ping");
    }
    out.ping_path = *v;
  }
}

void ParseApi(const json& a, Config& cfg, Checker& c) {
  const std::string p = "api";
  c.CheckKnown(a, p,
               {"max_plaintext_bytes", "max_ciphertext_bytes", "max_aad_bytes", "max_arn_chars",
                "verify_encrypt", "key_attribute_cache_ttl_ms", "health_check_interval_ms",
                "health_degraded_latency_ms", "fleet_size", "ekm_vendor"});
  ApiConfig& out = cfg.api;
  // Upper bounds keep the HSM AAD (2 + AAD + 1 + 20 bytes) within a 16-bit length and request
  // bodies within what the server accepts.
  if (auto v = c.Uint(a, "max_plaintext_bytes", p, 4300, 65536)) out.max_plaintext_bytes = *v;
  if (auto v = c.Uint(a, "max_ciphertext_bytes", p, 4300, 65536)) out.max_ciphertext_bytes = *v;
  if (auto v = c.Uint(a, "max_aad_bytes", p, 8192, 65000)) out.max_aad_bytes = *v;
  if (auto v = c.Uint(a, "max_arn_chars", p, 2048, 65536)) out.max_arn_chars = *v;
  if (auto v = c.String(a, "verify_encrypt", p, false)) {
    if (*v != "when_cdiv_requested" && *v != "always" && *v != "never") {
      c.Add(Join(p, "verify_encrypt"), "must be one of: when_cdiv_requested, always, never");
    } else {
      out.verify_encrypt = *v;
    }
  }
  if (auto v = Millis(c, a, "key_attribute_cache_ttl_ms", p, 0, 300000)) {
    out.key_attribute_cache_ttl = *v;
  }
  // Spec: a cached health result must never be older than one minute; leave room for the check.
  if (auto v = Millis(c, a, "health_check_interval_ms", p, 100, 50000)) {
    out.health_check_interval = *v;
  }
  if (auto v = Millis(c, a, "health_degraded_latency_ms", p, 1, 60000)) {
    out.health_degraded_latency = *v;
  }
  if (auto v = c.Uint(a, "fleet_size", p, 1, 1000)) out.fleet_size = static_cast<std::uint32_t>(*v);
  if (auto v = c.String(a, "ekm_vendor", p, false)) {
    if (v->empty() || v->size() > 128) {
      c.Add(Join(p, "ekm_vendor"), "must be 1..128 characters");
    } else {
      out.ekm_vendor = *v;
    }
  }
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.'; });
}

void ParseHsm(const json& h, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "hsm";
  c.CheckKnown(h, p, {"modules", "tokens"});
  std::set<std::string> module_ids;
  if (const json* mods = c.Array(h, "modules", p, true)) {
    for (std::size_t i = 0; i < mods->size(); ++i) {
      const std::string mp = Index(Join(p, "modules"), i);
      const json& m = (*mods)[i];
      if (!m.is_object()) {
        c.Add(mp, "must be a JSON object");
        continue;
      }
      c.CheckKnown(m, mp, {"id", "module", "generate_iv_in_hsm", "initialize_parameters"});
      ModuleConfig mc;
      if (auto v = c.String(m, "id", mp, true, "give a short module id, e.g. softhsm")) {
        if (!IsValidId(*v)) {
          c.Add(Join(mp, "id"), "must be 1..64 of A-Z a-z 0-9 . - _");
        } else if (!module_ids.insert(*v).second) {
          c.Add(Join(mp, "id"), "duplicate module id " + *v + " — give each module its own id");
        }
        mc.id = *v;
      }
      if (auto v = c.String(m, "module", mp, true,
                            "give the module file path or a p11-kit module name like softhsm2")) {
        if (v->empty()) {
          c.Add(Join(mp, "module"), "empty — give a file path or a p11-kit module name");
        } else if (v->find('/') != std::string::npos) {
          mc.module = Resolve(base_dir, *v);
          struct stat st {};
          if (::stat(mc.module.c_str(), &st) != 0) {
            c.Add(Join(mp, "module"), "file " + mc.module +
                                          " does not exist — install the module "
                                          "or use its p11-kit name");
          }
        } else {
          mc.module = *v;
        }
      }
      if (auto v = c.Bool(m, "generate_iv_in_hsm", mp)) mc.generate_iv_in_hsm = *v;
      if (auto v = c.String(m, "initialize_parameters", mp, false)) {
        if (v->find('\0') != std::string::npos) {
          c.Add(Join(mp, "initialize_parameters"), "must not contain a NUL character");
        }
        mc.initialize_parameters = *v;
      }
      // A module file is initialized once per process (a second C_Initialize answers
      // CKR_CRYPTOKI_ALREADY_INITIALIZED and keeps the first parameters), so two entries for one
      // file cannot differ in them.
      for (const auto& other : cfg.hsm.modules) {
        if (!mc.module.empty() && other.module == mc.module &&
            other.initialize_parameters != mc.initialize_parameters) {
          c.Add(Join(mp, "initialize_parameters"),
                "differs from module " + other.id + ", which loads the same file — a module is " +
                    "initialized once per process: use one entry");
        }
      }
      cfg.hsm.modules.push_back(std::move(mc));
    }
  }
  std::set<std::string> token_ids;
  if (const json* toks = c.Array(h, "tokens", p, true)) {
    for (std::size_t i = 0; i < toks->size(); ++i) {
      const std::string tp = Index(Join(p, "tokens"), i);
      const json& t = (*toks)[i];
      if (!t.is_object()) {
        c.Add(tp, "must be a JSON object");
        continue;
      }
      c.CheckKnown(t, tp,
                   {"id", "module", "token", "pin", "max_sessions", "health_check_key",
                    "copy_keys_to_session_objects"});
      TokenConfig tc;
      if (auto v = c.String(t, "id", tp, true, "give a short token id, e.g. acme-token")) {
        if (!IsValidId(*v)) {
          c.Add(Join(tp, "id"), "must be 1..64 of A-Z a-z 0-9 . - _");
        } else if (!token_ids.insert(*v).second) {
          c.Add(Join(tp, "id"), "duplicate token id " + *v + " — give each token its own id");
        }
        tc.id = *v;
      }
      if (auto v = c.String(t, "module", tp, true, "give the id of an hsm.modules entry")) {
        if (!module_ids.count(*v)) {
          c.Add(Join(tp, "module"), "no module with id " + *v + " — use an id from hsm.modules");
        }
        tc.module_id = *v;
      }
      if (auto v =
              c.String(t, "token", tp, true, "give the token label or a pkcs11:token=... URI")) {
        if (v->empty()) c.Add(Join(tp, "token"), "empty — give the token label or a pkcs11: URI");
        tc.token = *v;
      }
      if (auto ref = ParseSecretRef(t, "pin", tp, base_dir, c)) tc.pin = *ref;
      if (auto v = c.Uint(t, "max_sessions", tp, 1, 1024)) tc.max_sessions = *v;
      if (auto v = c.String(t, "health_check_key", tp, true,
                            "give the label of a dedicated AES-256 key for health checks")) {
        if (v->empty()) c.Add(Join(tp, "health_check_key"), "empty — give a key label");
        tc.health_check_key = *v;
      }
      if (auto v = c.Bool(t, "copy_keys_to_session_objects", tp)) {
        tc.copy_keys_to_session_objects = *v;
      }
      cfg.hsm.tokens.push_back(std::move(tc));
    }
  }
}

// The object label a key reference names, for comparing "k1" with "pkcs11:object=k1".
std::string ObjectLabel(std::string_view label) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (label.substr(0, kScheme.size()) != kScheme) return std::string(label);
  std::string_view rest = label.substr(kScheme.size());
  while (!rest.empty()) {
    std::size_t end = rest.find_first_of(";?");
    std::string_view attr = rest.substr(0, end);
    if (attr.substr(0, 7) == "object=") return std::string(attr.substr(7));
    if (end == std::string_view::npos || rest[end] == '?') break;
    rest = rest.substr(end + 1);
  }
  return std::string(label);
}

std::optional<KeyConfig> ParseKey(const std::string& key_id, const json& k, const std::string& kp,
                                  Checker& c) {
  KeyConfig key;
  key.external_key_id = key_id;
  if (!IsValidExternalKeyId(key_id)) {
    c.Add(kp, "invalid externalKeyId — use 1..128 characters of A-Z a-z 0-9 - . _");
  }
  if (!k.is_object()) {
    c.Add(kp, R"(must be an object like {"label": "hsm-key-label"})");
    return std::nullopt;
  }
  c.CheckKnown(k, kp, {"label", "versions", "disabled"});
  if (auto v = c.Bool(k, "disabled", kp)) key.disabled = *v;
  const bool has_label = k.contains("label"), has_versions = k.contains("versions");
  if (has_label && has_versions) {
    c.Add(kp, "give either label or versions, not both");
    return std::nullopt;
  }
  auto check_label = [&](const std::string& path, const std::string& label) {
    if (label.empty() || label.size() > 1024) {
      c.Add(path, "must be 1..1024 characters — give the HSM key label or a pkcs11: URI");
      return false;
    }
    return true;
  };
  if (!has_versions) {
    auto label = c.String(k, "label", kp, true, "give the HSM key label or a pkcs11: URI");
    if (!label || !check_label(Join(kp, "label"), *label)) return std::nullopt;
    key.versions.push_back({1, *label, false});
    return key;
  }
  const json* versions = c.Array(k, "versions", kp, true);
  if (versions == nullptr) return std::nullopt;
  if (versions->empty()) {
    c.Add(Join(kp, "versions"), "empty — add at least one {version, label}");
    return std::nullopt;
  }
  std::set<std::uint64_t> seen;
  bool any_active = false, ok = true;
  for (std::size_t i = 0; i < versions->size(); ++i) {
    const std::string vp = Index(Join(kp, "versions"), i);
    const json& v = (*versions)[i];
    if (!v.is_object()) {
      c.Add(vp, R"(must be an object like {"version": 1, "label": "k-v1"})");
      ok = false;
      continue;
    }
    c.CheckKnown(v, vp, {"version", "label", "retired"});
    KeyVersionConfig kv;
    auto num = c.Uint(v, "version", vp, 1, 65535, true);
    auto label = c.String(v, "label", vp, true, "give the HSM key label or a pkcs11: URI");
    if (auto r = c.Bool(v, "retired", vp)) kv.retired = *r;
    if (!num || !label || !check_label(Join(vp, "label"), *label)) {
      ok = false;
      continue;
    }
    if (!seen.insert(*num).second) {
      c.Add(Join(vp, "version"), "duplicate version " + std::to_string(*num) +
                                     " — each version of a key needs its own number");
      ok = false;
      continue;
    }
    kv.version = static_cast<std::uint16_t>(*num);
    kv.label = *label;
    any_active = any_active || !kv.retired;
    key.versions.push_back(std::move(kv));
  }
  if (ok && !any_active) {
    c.Add(Join(kp, "versions"), "every version is retired — keep one version with retired: false");
    ok = false;
  }
  if (!ok) return std::nullopt;
  std::sort(key.versions.begin(), key.versions.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return key;
}

void ParseTenants(const json& ts, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "tenants";
  // No tenants is a valid (if idle) proxy: it is what remains after the last tenant is
  // crypto-shredded, and refusing it would keep the shredded tenant's configuration in force.
  std::map<std::string, std::string> names, prefixes, token_users, access_keys;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const std::string tp = Index(p, i);
    const json& t = ts[i];
    if (!t.is_object()) {
      c.Add(tp, "must be a JSON object");
      continue;
    }
    c.CheckKnown(t, tp, {"name", "path_prefix", "token", "disabled", "credentials", "keys"});
    TenantConfig tc;
    if (auto v = c.String(t, "name", tp, true, "give a unique tenant name, e.g. acme")) {
      if (!IsValidId(*v)) {
        c.Add(Join(tp, "name"), "must be 1..64 of A-Z a-z 0-9 . - _");
      } else if (auto [it, fresh] = names.emplace(*v, tp); !fresh) {
        c.Add(Join(tp, "name"), "duplicate tenant name " + *v + " (also " + it->second + ")");
      }
      tc.name = *v;
    }
    if (auto v = c.String(t, "path_prefix", tp, true,
                          "give \"\" or a prefix like /tenants/acme (no trailing /)")) {
      if (!IsValidPathPrefix(*v)) {
        c.Add(Join(tp, "path_prefix"),
              "invalid — use \"\" or '/' followed by segments of a-z A-Z 0-9 - _ separated by "
              "single '/', no trailing '/', not containing kms/xks/v1, at most " +
                  std::to_string(kMaxPathPrefixTotal - kXksApiPath.size()) + " characters");
      } else if (auto [it, fresh] = prefixes.emplace(*v, tp); !fresh) {
        c.Add(Join(tp, "path_prefix"),
              "already used by " + it->second + " — every tenant needs its own prefix");
      }
      tc.path_prefix = *v;
    }
    if (auto v = c.String(t, "token", tp, true, "give the id of an hsm.tokens entry")) {
      if (cfg.hsm.FindToken(*v) == nullptr) {
        c.Add(Join(tp, "token"), "no token with id " + *v + " — use an id from hsm.tokens");
      } else if (auto [it, fresh] = token_users.emplace(*v, tp); !fresh) {
        c.Add(Join(tp, "token"), "token " + *v + " is already used by " + it->second +
                                     " — tenants may not share a token (isolation); give this "
                                     "tenant its own token");
      }
      tc.token = *v;
    }
    if (auto v = c.Bool(t, "disabled", tp)) tc.disabled = *v;
    if (const json* creds = c.Array(t, "credentials", tp, true)) {
      if (creds->empty()) {
        c.Add(Join(tp, "credentials"), "empty — add at least one {access_key_id, secret}");
      }
      for (std::size_t j = 0; j < creds->size(); ++j) {
        const std::string cp = Index(Join(tp, "credentials"), j);
        const json& cr = (*creds)[j];
        if (!cr.is_object()) {
          c.Add(cp, "must be a JSON object");
          continue;
        }
        c.CheckKnown(cr, cp, {"access_key_id", "secret"});
        CredentialConfig cc;
        bool ok = true;
        if (auto v = c.String(cr, "access_key_id", cp, true,
                              "give a 20-30 character id of A-Z and 2-7")) {
          if (!IsValidAccessKeyId(*v)) {
            c.Add(Join(cp, "access_key_id"),
                  "must be 20..30 characters of A-Z and 2-7 (XKS spec, Appendix A)");
            ok = false;
          } else if (auto [it, fresh] = access_keys.emplace(*v, cp); !fresh) {
            c.Add(Join(cp, "access_key_id"),
                  "already used by " + it->second +
                      " — an access key id must identify exactly one secret and one tenant");
            ok = false;
          }
          cc.access_key_id = *v;
        } else {
          ok = false;
        }
        auto ref = ParseSecretRef(cr, "secret", cp, base_dir, c);
        if (ref) {
          auto secret = ReadSecret(*ref, Join(cp, "secret"), c);
          if (secret && !IsValidSecretAccessKey(secret->view())) {
            // Only the length is reported: the secret itself never reaches a message.
            c.Add(Join(cp, "secret"), "the secret read from " + ref->Describe() + " has " +
                                          std::to_string(secret->size()) +
                                          " characters; it must be 43..64 characters of "
                                          "A-Z a-z 0-9 + / = (e.g. openssl rand -base64 32)");
            ok = false;
          } else if (secret) {
            cc.secret_ref = *ref;
            cc.secret = std::move(*secret);
          } else {
            ok = false;
          }
        } else {
          ok = false;
        }
        if (ok) tc.credentials.push_back(std::move(cc));
      }
    }
    if (const json* keys = c.Object(t, "keys", tp, true)) {
      for (const auto& [key_id, k] : keys->items()) {
        if (auto key = ParseKey(key_id, k, Join(Join(tp, "keys"), key_id), c)) {
          tc.keys.push_back(std::move(*key));
        }
      }
    }
    cfg.tenants.push_back(std::move(tc));
  }

  // Prefixes are compared exactly by the router; a prefix that contained another prefix's API
  // path could still make one request match two tenants, which IsValidPathPrefix already excludes
  // by refusing "kms/xks/v1" inside a prefix. Isolation: the health-check key of a token must
  // never be reachable as a tenant key.
  for (std::size_t i = 0; i < cfg.tenants.size(); ++i) {
    const TenantConfig& tc = cfg.tenants[i];
    const TokenConfig* token = cfg.hsm.FindToken(tc.token);
    if (token == nullptr || token->health_check_key.empty()) continue;
    const std::string hc = ObjectLabel(token->health_check_key);
    for (const KeyConfig& key : tc.keys) {
      for (std::size_t v = 0; v < key.versions.size(); ++v) {
        if (ObjectLabel(key.versions[v].label) == hc) {
          c.Add(Join(Join(Index(p, i), "keys"), key.external_key_id),
                "maps the health-check key " + token->health_check_key + " of token " + token->id +
                    " — use a dedicated key for health checks");
        }
      }
    }
  }
}

}  // namespace

std::string SecretRef::Describe() const { return (kind == Kind::kFile ? "file:" : "env:") + where; }

const TokenConfig* HsmConfig::FindToken(std::string_view id) const {
  for (const auto& t : tokens) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const ModuleConfig* HsmConfig::FindModule(std::string_view id) const {
  for (const auto& m : modules) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool IsValidExternalKeyId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '-' || ch == '.' || ch == '_'; });
}

bool IsValidAccessKeyId(std::string_view id) {
  if (id.size() < 20 || id.size() > 30) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7'); });
}

bool IsValidSecretAccessKey(std::string_view s) {
  if (s.size() < 43 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '+' || ch == '/' || ch == '='; });
}

bool IsValidPathPrefix(std::string_view prefix) {
  if (prefix.empty()) return true;
  if (prefix.size() + kXksApiPath.size() > kMaxPathPrefixTotal) return false;
  if (prefix.front() != '/' || prefix.back() == '/') return false;
  char prev = 0;
  for (char ch : prefix) {
    if (!(IsAlnum(ch) || ch == '/' || ch == '-' || ch == '_')) return false;
    if (ch == '/' && prev == '/') return false;
    prev = ch;
  }
  // A prefix containing the API path would make the router's split ambiguous.
  return (std::string(prefix) + "/").find("/kms/xks/v1/") == std::string::npos;
}

Result<Config, ConfigProblems> ParseConfig(const nlohmann::json& document,
                                           std::string_view base_dir) {
  Checker c;
  Config cfg;
  if (!document.is_object()) {
    c.Add("$", "the configuration must be a JSON object");
    return Fail(c.Take());
  }
  c.CheckKnown(document, "", {"server", "api", "hsm", "audit", "tenants"});
  if (const json* s = c.Object(document, "server", "", true)) ParseServer(*s, base_dir, cfg, c);
  if (const json* a = c.Object(document, "api", "", false)) ParseApi(*a, cfg, c);
  if (const json* h = c.Object(document, "hsm", "", true)) ParseHsm(*h, base_dir, cfg, c);
  if (const json* a = c.Object(document, "audit", "", true)) cfg.audit = *a;
  if (const json* t = c.Array(document, "tenants", "", true)) ParseTenants(*t, base_dir, cfg, c);
  if (!c.empty()) return Fail(c.Take());
  std::sort(cfg.tenants.begin(), cfg.tenants.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return cfg;
}

Result<Config, ConfigProblems> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ConfigProblems{{"$", "cannot read " + path + " — check the path and permissions"}});
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  json doc = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Fail(
        ConfigProblems{{"$", path + " is not valid JSON — check commas, quotes and braces"}});
  }
  std::string dir;
  if (auto slash = path.rfind('/'); slash != std::string::npos) {
    dir = path.substr(0, slash == 0 ? 1 : slash);
  } else {
    dir = ".";
  }
  auto cfg = ParseConfig(doc, dir);
  if (cfg.ok()) cfg.value().source_path = path;
  return cfg;
}

std::string FormatProblems(const ConfigProblems& problems) {
  std::string out;
  for (const auto& p : problems) out += p.ToString() + "\n";
  return out;
}

}  // namespace xks::tenant
