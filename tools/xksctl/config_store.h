#pragma once
// Reading, validating and atomically rewriting the proxy's JSON configuration file.
//
// Every change goes: lock (flock on "<config>.lock", so two xksctl runs never interleave) → load as
// nlohmann::json → modify → validate with the server's own ParseConfig → write a temp file in the
// same directory, fsync, rename over the original (keeping its mode), fsync the directory. A
// document that does not validate is never written. Not thread-safe; one per process.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/unique_fd.h"
#include "proxy/config/config.h"

namespace xks::xksctl {

/// An exclusive advisory lock on "<config path>.lock", held for the object's lifetime.
class ConfigLock {
 public:
  /// Blocks until the lock is held. Throws OperationError when the lock file cannot be created.
  explicit ConfigLock(const std::string& config_path);
  ~ConfigLock();
  ConfigLock(const ConfigLock&) = delete;
  ConfigLock& operator=(const ConfigLock&) = delete;

 private:
  UniqueFd fd_;
};

/// The configuration document being edited.
class ConfigStore {
 public:
  /// Locks and loads `path`. Throws OperationError when it is missing or not JSON.
  static std::unique_ptr<ConfigStore> Open(const std::string& path);
  /// Locks `path` for a file that does not exist yet (config init). Throws OperationError when it
  /// exists.
  static std::unique_ptr<ConfigStore> Create(const std::string& path, nlohmann::json document);

  nlohmann::json& doc() { return doc_; }
  const std::string& path() const { return path_; }
  /// Directory of the configuration file (relative paths in it are resolved against this).
  std::string BaseDir() const;

  /// Validates the document with ParseConfig and writes it atomically. Throws OperationError
  /// listing every problem (the file is then left unchanged).
  void Save();

  /// Index of tenant `name` in doc()["tenants"]; throws OperationError "tenant X does not exist".
  std::size_t TenantIndex(const std::string& name) const;
  /// The tenant object; throws like TenantIndex.
  nlohmann::json& Tenant(const std::string& name);
  /// The hsm.tokens entry with `id`; throws OperationError when absent.
  nlohmann::json& Token(const std::string& id);
  /// The hsm.modules entry with `id`; throws OperationError when absent.
  nlohmann::json& Module(const std::string& id);

 private:
  ConfigStore(std::string path, nlohmann::json doc, const std::string& lock_path);
  std::string path_;
  nlohmann::json doc_;
  ConfigLock lock_;
};

/// Validates `doc` as the proxy would (ParseConfig with `base_dir`), except that an empty
/// "tenants", "hsm.modules" or "hsm.tokens" list is accepted: it is the legitimate state between
/// `config init` and the first `tenant add`, and after the last tenant was shredded.
/// Returns the problems (empty when valid).
Problems ValidateDocument(const nlohmann::json& doc, const std::string& base_dir);

/// True when `problem` is only "this list is empty" for tenants/hsm.modules/hsm.tokens.
bool IsEmptyListProblem(const Problem& problem);

/// Writes `content` to `path` atomically (temp + fsync + rename + directory fsync). An existing
/// file's mode is kept; a new file gets `new_mode`. Throws OperationError.
void WriteFileAtomic(const std::string& path, const std::string& content, unsigned new_mode);

/// Resolves `path` against `base_dir` when relative.
std::string ResolvePath(const std::string& base_dir, const std::string& path);

}  // namespace xks::xksctl
