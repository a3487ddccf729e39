#include "proxy/tenant/registry_holder.h"

#include <cstdio>
#include <cstdlib>

namespace xks::tenant {

RegistryHolder::RegistryHolder(std::shared_ptr<const TenantRegistry> initial, std::string path)
    : path_(std::move(path)), current_(std::move(initial)) {
  if (!current_) {
    std::fprintf(stderr, "fatal: RegistryHolder needs an initial registry\n");
    std::abort();
  }
}

Result<std::unique_ptr<RegistryHolder>, Problems> RegistryHolder::Load(const std::string& path) {
  auto cfg = config::LoadConfigFile(path);
  if (!cfg.ok()) return Fail(std::move(cfg).error());
  return std::make_unique<RegistryHolder>(TenantRegistry::Build(std::move(cfg).value()), path);
}

std::shared_ptr<const TenantRegistry> RegistryHolder::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

Result<std::shared_ptr<const TenantRegistry>, Problems> RegistryHolder::Reload() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  if (path_.empty()) {
    return Fail(Problems{MakeProblem("$", "no configuration file to reload from")});
  }
  // Load and build outside mu_ so readers are never blocked by file I/O.
  auto cfg = config::LoadConfigFile(path_);
  if (!cfg.ok()) return Fail(std::move(cfg).error());
  auto next = TenantRegistry::Build(std::move(cfg).value());
  Replace(next);
  return next;
}

void RegistryHolder::Replace(std::shared_ptr<const TenantRegistry> next) {
  if (!next) {
    std::fprintf(stderr, "fatal: RegistryHolder::Replace with null registry\n");
    std::abort();
  }
  std::shared_ptr<const TenantRegistry> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(current_);
    current_ = std::move(next);
  }
  // `old` is released here, outside the lock: destroying a registry wipes secrets and may take a
  // moment, readers need not wait for it.
}

}  // namespace xks::tenant
