#pragma once
// Hooks for tests of the recovery path. Never used by the proxy. Does not include pkcs11.h.

#include <cstdint>
#include <string_view>

#include "pkcs11/hsm.h"

namespace xks::pkcs11 {

/// Calls the module's raw C_Finalize behind the layer's back (the layer must notice and recover).
void FinalizeModuleUnderneathForTesting(Module& module);

/// The next `count` C_* calls through the layer named `function` (any function if empty, e.g.
/// "C_Encrypt") fail with `ck_rv` without reaching the module.
void InjectCkRvForTesting(Module& module, unsigned long ck_rv, int count,
                          std::string_view function = {});

/// The CK_RV value for a name like "CKR_DEVICE_ERROR" (from the layer's table); aborts on an
/// unknown name (a test bug). Lets tests inject CK_RVs without including pkcs11.h.
unsigned long CkRvByNameForTesting(std::string_view name);

/// The module's current generation (starts at 1, +1 per re-initialization).
std::uint64_t ModuleGenerationForTesting(const Module& module);

}  // namespace xks::pkcs11
