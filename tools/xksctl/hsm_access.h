#pragma once
// Opening the HSM the way the proxy would: a module and a tenant's token as named in the
// configuration document, with the tenant's own PIN source. Failures throw OperationError with the
// PKCS#11 layer's operator-safe message (never a PIN).

#include <memory>
#include <string>

#include "pkcs11/hsm.h"
#include "proxy/config/config.h"

namespace xks::xksctl {

/// Deadline for one administrative HSM call (generous: key generation on a busy HSM is slow).
pkcs11::Deadline AdminDeadline();

/// Throws OperationError "<what>: <HSM error>".
[[noreturn]] void ThrowHsm(const std::string& what, const pkcs11::HsmError& error);

/// Loads a module by path or p11-kit name; `initialize_parameters` as hsm.modules[] has them
/// (C_Initialize's pReserved, for NSS softokn). Throws OperationError.
std::shared_ptr<pkcs11::Module> OpenModuleOrThrow(const std::string& module,
                                                  bool generate_iv_in_hsm = false,
                                                  const std::string& initialize_parameters = "");

/// A tenant's token, opened with the module and PIN source from the configuration.
struct TenantHsm {
  std::string token_id;  ///< hsm.tokens[].id
  std::string token;     ///< its label or URI
  std::string health_check_key;
  std::shared_ptr<pkcs11::Module> module;
  std::unique_ptr<pkcs11::TokenClient> client;
  pkcs11::TokenConfig config;  ///< how `client` was opened (to open a fresh one)
};

/// Opens the token of `tenant` (one of cfg.tenants). Throws OperationError when the token entry,
/// module or login fails.
TenantHsm OpenTenantHsm(const config::Config& cfg, const config::TenantConfig& tenant);

/// Opens hsm.tokens entry `token_id` with its module and PIN source; `named_by` says who named it
/// (for the error text, e.g. "audit.signer"). Throws OperationError like OpenTenantHsm.
TenantHsm OpenConfiguredToken(const config::Config& cfg, const std::string& token_id,
                              const std::string& named_by);

/// "encrypt,decrypt", "encrypt", "decrypt" or "none" (wrap/unwrap appended when set).
std::string UsageString(const pkcs11::KeyUsage& usage);

}  // namespace xks::xksctl
