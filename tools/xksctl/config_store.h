#pragma once
// Reading, validating and atomically rewriting the proxy's JSON configuration file.
//
// Every change goes: lock (flock on "<config>.lock", so two xksctl runs never interleave) → parse
// into the typed configuration with the server's own ParseConfig → modify the structures →
// serialise → validate again with ParseConfig → write a temp file in the same directory, fsync,
// rename over the original (keeping its mode), fsync the directory. A document that does not
// validate is never written. Not thread-safe; one per process.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

/// Reads `path` as a JSON object, without validating it. Throws OperationError when it is missing
/// or not a JSON object.
nlohmann::json ReadConfigDocument(const std::string& path);

/// One version of one tenant key.
struct KeyVersionRef {
  std::string tenant;
  std::string key_id;
  int version = 0;
};

/// The configuration being edited, as the typed structures of proxy/config (the one owner of the
/// schema): commands change `config()`, and Save writes it back in the short form, keeping what
/// the operator wrote by hand that the structures cannot hold (comment keys, defaults spelt out,
/// relative paths: config::SerializeKeepingHandWrittenForm).
class ConfigStore {
 public:
  /// Locks and loads `path`. Throws OperationError when it is missing, not JSON, or does not
  /// validate (every problem listed; an edit on top of a broken file is refused, nothing is
  /// written).
  static std::unique_ptr<ConfigStore> Open(const std::string& path);
  /// Locks `path` for a file that does not exist yet (config init). Throws OperationError when it
  /// exists.
  static std::unique_ptr<ConfigStore> Create(const std::string& path, config::Config config);

  config::Config& config() { return config_; }
  const config::Config& config() const { return config_; }
  const std::string& path() const { return path_; }
  /// The file as Open read it, before any change of this run; null for a new file (Create).
  const nlohmann::json& original_document() const { return original_document_; }
  /// Directory of the configuration file (relative paths in it are resolved against this).
  std::string BaseDir() const;

  /// Serialises config(), validates the result with ParseConfig and writes it atomically. Throws
  /// OperationError listing every problem (the file is then left unchanged).
  void Save();

  /// Records the comment key `name` ("_...", which the proxy ignores) with `value` on the key
  /// version's entry, written at the next Save: xksctl notes there when a version was created or
  /// retired and where its material came from, for `key versions` to show.
  void AnnotateKeyVersion(const KeyVersionRef& ref, const std::string& name, nlohmann::json value);
  /// The comment keys of the key version's entry: as the file holds them, with those recorded
  /// since. An empty object when there are none.
  nlohmann::json KeyVersionAnnotations(const KeyVersionRef& ref) const;

  /// Tenant `name`; throws OperationError "tenant X does not exist".
  config::TenantConfig& Tenant(const std::string& name);
  /// The hsm.tokens entry with `id`; throws OperationError when absent.
  config::TokenConfig& Token(const std::string& id);
  /// The hsm.modules entry with `id`; throws OperationError when absent.
  config::ModuleConfig& Module(const std::string& id);

 private:
  ConfigStore(std::string path, const std::string& lock_path);
  std::string path_;
  ConfigLock lock_;
  struct Annotation {
    KeyVersionRef ref;
    std::string name;
    nlohmann::json value;
  };
  nlohmann::json document_ = nlohmann::json::object();  ///< the file as last read or written
  nlohmann::json original_document_;                    ///< the file as Open read it (null: new)
  config::Config config_;
  std::vector<Annotation> annotations_;  ///< recorded since, for the next Save
};

/// Writes `content` to `path` atomically (temp + fsync + rename + directory fsync). An existing
/// file's mode is kept; a new file gets `new_mode`. Throws OperationError.
void WriteFileAtomic(const std::string& path, const std::string& content, unsigned new_mode);

}  // namespace xks::xksctl
