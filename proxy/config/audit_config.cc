#include "proxy/config/audit_config.h"

#include <cstddef>
#include <set>
#include <string_view>
#include <utility>

#include "proxy/config/config_writer.h"

namespace xks::config {
namespace {

// One table per enumerated field, read by the parser and the serialiser alike.
constexpr std::pair<std::string_view, Durability> kDurabilities[] = {{"fsync", Durability::kFsync},
                                                                     {"write", Durability::kWrite}};
constexpr std::pair<std::string_view, Mirror> kMirrors[] = {
    {"none", Mirror::kNone}, {"stdout", Mirror::kStdout}, {"syslog", Mirror::kSyslog}};

template <typename Enum, std::size_t N>
const Enum* FindValue(const std::pair<std::string_view, Enum> (&table)[N], std::string_view name) {
  for (const auto& [n, v] : table) {
    if (n == name) return &v;
  }
  return nullptr;
}

template <typename Enum, std::size_t N>
std::string_view NameOf(const std::pair<std::string_view, Enum> (&table)[N], Enum value) {
  for (const auto& [n, v] : table) {
    if (v == value) return n;
  }
  return table[0].first;
}

class Parser {
 public:
  Parser(const nlohmann::json& obj, std::string_view path) : obj_(obj), path_(path) {}

  // `what` reads "problem — fix" (ProblemFromText).
  void Problem(const std::string& key, const std::string& what) {
    problems_.push_back(ProblemFromText(path_ + (key.empty() ? "" : "." + key), what));
  }

  bool String(const std::string& key, std::string& out, bool required, bool non_empty = true) {
    auto it = obj_.find(key);
    if (it == obj_.end()) {
      if (required) Problem(key, "missing — add a string value");
      return false;
    }
    if (!it->is_string()) {
      Problem(key, "must be a string — quote the value");
      return false;
    }
    std::string v = it->get<std::string>();
    if (non_empty && v.empty()) {
      Problem(key, "must not be empty — set a value");
      return false;
    }
    out = std::move(v);
    return true;
  }

  bool Integer(const std::string& key, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return false;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
      Problem(key, "must be a non-negative integer — e.g. " + std::to_string(min));
      return false;
    }
    std::uint64_t v = it->get<std::uint64_t>();
    if (v < min || v > max) {
      Problem(key, "out of range — use a value from " + std::to_string(min) + " to " +
                       std::to_string(max));
      return false;
    }
    out = v;
    return true;
  }

  Problems& problems() { return problems_; }

 private:
  const nlohmann::json& obj_;
  std::string path_;
  Problems problems_;
};

// The pieces of ParseAuditConfig, each adding its problems to `p`.

void ParseFilesAndDurability(Parser& p, AuditConfig& c) {
  p.String("directory", c.directory, true);
  p.String("instance_id", c.instance_id, true);
  if (p.String("file_prefix", c.file_prefix, false) &&
      c.file_prefix.find_first_of("/\n") != std::string::npos) {
    p.Problem("file_prefix", "must not contain '/' — use a plain name such as \"audit\"");
  }
  std::string durability;
  if (p.String("durability", durability, false)) {
    if (const Durability* d = FindValue(kDurabilities, durability)) {
      c.durability = *d;
    } else {
      p.Problem("durability", "must be \"fsync\" or \"write\"");
    }
  }
}

void ParseIntervalsAndLimits(Parser& p, AuditConfig& c) {
  std::uint64_t v = 0;
  if (p.Integer("checkpoint_interval_ms", v, 10, 60000))
    c.checkpoint_interval = std::chrono::milliseconds(v);
  if (p.Integer("checkpoint_every", v, 1, 1000000)) c.checkpoint_every = v;
  if (p.Integer("rotate_bytes", v, 0, 1ull << 40)) {
    if (v != 0 && v < 4096) {
      p.Problem("rotate_bytes", "too small — use 0 (no size rotation) or at least 4096");
    } else {
      c.rotate_bytes = v;
    }
  }
  if (p.Integer("rotate_interval_s", v, 0, 366ull * 86400))
    c.rotate_interval = std::chrono::seconds(v);
  if (p.Integer("signer_grace_ms", v, 0, 3600000)) c.signer_grace = std::chrono::milliseconds(v);
  if (p.Integer("retry_interval_ms", v, 1, 60000)) c.retry_interval = std::chrono::milliseconds(v);
  if (p.Integer("refusal_aggregation_interval_ms", v, 0, 3600000)) {
    c.refusal_aggregation_interval = std::chrono::milliseconds(v);
  }
  if (p.Integer("refusal_aggregation_max_sources", v, 1, 1000000)) {
    c.refusal_aggregation_max_sources = static_cast<std::size_t>(v);
  }
}

void ParseMirror(Parser& p, AuditConfig& c) {
  std::string mirror;
  if (p.String("mirror", mirror, false)) {
    if (const Mirror* m = FindValue(kMirrors, mirror)) {
      c.mirror = *m;
    } else {
      p.Problem("mirror", "must be \"none\", \"stdout\" or \"syslog\"");
    }
  }
}

void ParseSigner(const nlohmann::json& audit, const std::string& path, Parser& p, AuditConfig& c) {
  auto signer = audit.find("signer");
  if (signer == audit.end()) {
    p.Problem("signer", "missing — add {\"type\": \"file\", \"key_file\": \"/path/key.pem\"}");
    return;
  }
  if (!signer->is_object()) {
    p.Problem("signer", "must be an object — e.g. {\"type\": \"file\", \"key_file\": \"...\"}");
    return;
  }
  Parser sp(*signer, path + ".signer");
  std::string type;
  if (sp.String("type", type, true)) {
    std::set<std::string> fields;  // the keys this signer type takes besides "type"
    if (type == "file") {
      c.signer.type = SignerConfig::Type::kFile;
      sp.String("key_file", c.signer.key_file, true);
      fields = {"key_file"};
    } else if (type == "pkcs11") {
      c.signer.type = SignerConfig::Type::kPkcs11;
      sp.String("token", c.signer.token, true);
      sp.String("key_label", c.signer.key_label, true);
      fields = {"token", "key_label"};
    } else {
      sp.Problem("type", "must be \"file\" or \"pkcs11\"");
    }
    for (const auto& [key, value] : signer->items()) {
      // With an unknown type (no fields), the other keys cannot be judged.
      if (!fields.empty() && key != "type" && !fields.contains(key)) {
        sp.Problem(key, "unknown key for a " + type + " signer — remove it");
      }
    }
  }
  for (auto& s : sp.problems()) p.problems().push_back(std::move(s));
}

}  // namespace

Result<AuditConfig, Problems> ParseAuditConfig(const nlohmann::json& audit,
                                               std::string_view json_path) {
  std::string path(json_path);
  if (!audit.is_object()) {
    return Fail(Problems{MakeProblem(path, "must be an object", "see docs/audit-format.md")});
  }
  Parser p(audit, json_path);
  AuditConfig c;
  static const std::set<std::string> kKnown = {"directory",
                                               "file_prefix",
                                               "instance_id",
                                               "durability",
                                               "checkpoint_interval_ms",
                                               "checkpoint_every",
                                               "rotate_bytes",
                                               "rotate_interval_s",
                                               "signer_grace_ms",
                                               "retry_interval_ms",
                                               "mirror",
                                               "signer",
                                               "refusal_aggregation_interval_ms",
                                               "refusal_aggregation_max_sources",
                                               "admin_socket"};
  for (const auto& [key, value] : audit.items()) {
    if (!kKnown.contains(key)) p.Problem(key, "unknown key — remove it or check the spelling");
  }
  ParseFilesAndDurability(p, c);
  ParseIntervalsAndLimits(p, c);
  ParseMirror(p, c);
  if (std::string socket; p.String("admin_socket", socket, false)) c.admin_socket = socket;
  ParseSigner(audit, path, p, c);
  if (!p.problems().empty()) return Fail(std::move(p.problems()));
  return c;
}

namespace {

nlohmann::json SerializeSigner(const SignerConfig& s) {
  if (s.type == SignerConfig::Type::kFile) return {{"type", "file"}, {"key_file", s.key_file}};
  return {{"type", "pkcs11"}, {"token", s.token}, {"key_label", s.key_label}};
}

}  // namespace

nlohmann::json SerializeAuditConfig(const AuditConfig& c, const SerializeOptions& options) {
  const AuditConfig d;
  return writing::ObjectWriter(options)
      .Required("directory", c.directory)
      .Optional("file_prefix", c.file_prefix, d.file_prefix)
      .Required("instance_id", c.instance_id)
      .Optional("durability", NameOf(kDurabilities, c.durability),
                NameOf(kDurabilities, d.durability))
      .Optional("checkpoint_interval_ms", c.checkpoint_interval.count(),
                d.checkpoint_interval.count())
      .Optional("checkpoint_every", c.checkpoint_every, d.checkpoint_every)
      .Optional("rotate_bytes", c.rotate_bytes, d.rotate_bytes)
      .Optional("rotate_interval_s", c.rotate_interval.count(), d.rotate_interval.count())
      .Optional("signer_grace_ms", c.signer_grace.count(), d.signer_grace.count())
      .Optional("retry_interval_ms", c.retry_interval.count(), d.retry_interval.count())
      .Optional("mirror", NameOf(kMirrors, c.mirror), NameOf(kMirrors, d.mirror))
      .Json("signer", SerializeSigner(c.signer))
      .Optional("refusal_aggregation_interval_ms", c.refusal_aggregation_interval.count(),
                d.refusal_aggregation_interval.count())
      .Optional("refusal_aggregation_max_sources", c.refusal_aggregation_max_sources,
                d.refusal_aggregation_max_sources)
      .IfSet("admin_socket", c.admin_socket)
      .Take();
}

std::string AdminSocketPath(const AuditConfig& config) {
  if (config.admin_socket) return *config.admin_socket;
  return config.directory + "/admin.sock";
}

}  // namespace xks::config
