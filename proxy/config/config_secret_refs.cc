#include "proxy/config/config_secret_refs.h"

#include <cstdlib>

#include "base/file_io.h"
#include "base/secret_file.h"

namespace xks::config::parsing {
namespace {

// Tenant secrets (PIN files, SigV4 secret files) follow symlinks (Kubernetes mounts secrets that
// way); the target must be a regular file nobody but the owner can read or write. The checks run
// on an open descriptor (base/secret_file.h). A PIN file is only checked here (PinSource reads
// and caps it when the token opens), so no size cap applies to the check.
constexpr SecretFileOptions kSecretCheckOptions{.max_bytes = kNoSizeLimit, .follow_symlinks = true};
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

}  // namespace

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

}  // namespace xks::config::parsing
