#include "proxy/tenant/testing/registry_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace xks::tenant::testing {

std::shared_ptr<const TenantRegistry> BuildRegistry(const nlohmann::json& doc,
                                                    const std::string& base_dir) {
  auto cfg = config::ParseConfig(doc, base_dir);
  if (!cfg.ok()) {
    ADD_FAILURE() << FormatProblems(cfg.error());
    std::abort();
  }
  return TenantRegistry::Build(std::move(cfg).value());
}

}  // namespace xks::tenant::testing
