#pragma once
// hsm.modules / hsm.tokens entries as `tenant add` and `tenant member add` write them: the module
// entry a token needs, and the token's dedicated health-check key.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "pkcs11/hsm.h"
#include "proxy/config/config.h"
#include "tools/xksctl/arg_parser.h"
#include "tools/xksctl/config_store.h"

namespace xks::xksctl {

/// The hsm.modules entry for `module` (path or p11-kit name), added when missing with an id
/// derived from the module's file name. `parameters` (C_Initialize's pReserved) is set on a new
/// entry; for an existing one it is taken from the entry (nullopt) or must match.
std::string EnsureModuleEntry(ConfigStore& store, const std::string& module,
                              std::optional<std::string>& parameters, bool& added);

/// The configured module when there is exactly one, else "softhsm2".
std::string DefaultModule(const ConfigStore& store);

/// The module a command names with --module (default DefaultModule) and --module-parameters,
/// and its hsm.modules entry (EnsureModuleEntry).
struct ModuleChoice {
  std::string name;  ///< path (made absolute) or p11-kit name, as hsm.modules[].module says
  std::string id;    ///< its hsm.modules[].id
  bool added = false;
  std::optional<std::string> parameters;  ///< C_Initialize's pReserved, as the entry has it
};
ModuleChoice ChooseModuleEntry(ConfigStore& store, const ParsedArgs& args);

/// The tenant's fleet members, joined by `separator` (for messages and listings).
std::string JoinTokenIds(const config::TenantConfig& tenant, std::string_view separator);

/// The key GetHealthStatus exercises on the token `token_ref` (label or URI, opened with the PIN
/// in `pin_file`): an existing AES encrypt/decrypt key labelled `label`, or a new one. Returns
/// the label and whether it was created. Throws OperationError.
std::pair<std::string, bool> EnsureHealthKey(const std::shared_ptr<pkcs11::Module>& module,
                                             const std::string& token_ref,
                                             const std::string& pin_file, const std::string& label);

}  // namespace xks::xksctl
