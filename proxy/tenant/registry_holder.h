#pragma once
// Holds the current TenantRegistry snapshot and swaps it atomically on reload. Readers take a
// shared_ptr and keep using that snapshot for as long as they hold it; a failed reload changes
// nothing and returns every problem.
//
// Thread safety: all members are thread-safe. Reloads are serialized among themselves.

#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "proxy/config/config.h"
#include "proxy/tenant/tenant_registry.h"

namespace xks::tenant {

class RegistryHolder {
 public:
  /// Starts with `initial` (must not be null). `path` is what Reload() re-reads ("" for none).
  RegistryHolder(std::shared_ptr<const TenantRegistry> initial, std::string path);

  /// Loads and validates `path`; the holder remembers it for Reload(). Errors: every problem.
  static Result<std::unique_ptr<RegistryHolder>, Problems> Load(const std::string& path);

  /// The current snapshot; never null. Cheap (one mutex-guarded shared_ptr copy).
  std::shared_ptr<const TenantRegistry> Current() const;

  /// Re-reads the file given at construction. On success the new snapshot replaces the old one for
  /// new requests and is returned; on failure the running snapshot stays and every problem is
  /// returned.
  Result<std::shared_ptr<const TenantRegistry>, Problems> Reload();

  /// Replaces the snapshot with an already built one (tests, admin tooling). `next` non-null.
  void Replace(std::shared_ptr<const TenantRegistry> next);

 private:
  const std::string path_;
  std::mutex reload_mu_;  // serializes Reload so two reloads cannot interleave load and swap
  mutable std::mutex mu_;
  std::shared_ptr<const TenantRegistry> current_;
};

}  // namespace xks::tenant
