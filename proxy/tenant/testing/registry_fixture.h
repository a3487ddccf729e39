#pragma once
// The tenant registry built from a test configuration (tests only; linked as
// xks_tenant_testing), on top of the configuration fixtures of proxy/config/testing.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "proxy/config/testing/config_fixture.h"
#include "proxy/tenant/tenant_registry.h"

namespace xks::tenant::testing {

using config::testing::kAcmeAccessKey;
using config::testing::kAcmeAccessKey2;
using config::testing::kAcmeSecret;
using config::testing::kGlobexAccessKey;
using config::testing::kGlobexSecret;
using config::testing::StandardConfigJson;
using config::testing::TempDir;

/// ParseConfig + Build; aborts the test on problems.
std::shared_ptr<const TenantRegistry> BuildRegistry(const nlohmann::json& doc,
                                                    const std::string& base_dir);

}  // namespace xks::tenant::testing
