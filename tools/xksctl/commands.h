#pragma once
// The xksctl command table (one file per command group) and the operations several groups share.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pkcs11/hsm.h"
#include "tools/xksctl/cli.h"
#include "tools/xksctl/config_store.h"

namespace xks::xksctl {

std::vector<Command> TokenCommands();       ///< token init|list
std::vector<Command> ConfigCommands();      ///< config init|validate|show
std::vector<Command> TenantCommands();      ///< tenant add|list|show|disable|enable|shred
std::vector<Command> KeyCommands();         ///< key create|list|disable|enable|rotate|versions|...
std::vector<Command> CredentialCommands();  ///< credential new|list|revoke
std::vector<Command> AuditCommands();       ///< audit verify|public-key|export
std::vector<Command> HealthCommands();      ///< health
std::vector<Command> StatusCommands();      ///< status (the running proxy, via its admin socket)
std::vector<Command> FleetCommands();       ///< fleet add|remove|check
std::vector<Command> PolicyCommands();      ///< policy show|eval

/// Runs xksctl with `args` (without the program name), writing to `out`/`err`. Returns the exit
/// code (kExitOk, kExitFailed, kExitUsage). Never throws. main() is a thin wrapper around this.
int RunXksctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// What `token init` did.
struct InitializedToken {
  std::string label;
  std::string serial;
  std::string uri;  ///< "pkcs11:token=<label>;serial=<serial>" (percent-encoded)
  std::string pin_file;
  std::string so_pin_file;
  bool pin_file_created = false;
  bool so_pin_file_created = false;
};

/// Initializes a token in a free slot of `module` (C_InitToken + C_InitPIN). PIN files that do not
/// exist are created (0600) with a fresh 128-bit random PIN; existing ones are used. Refuses a
/// label that an initialized token already has. Throws OperationError / UsageError.
InitializedToken InitTokenInFreeSlot(pkcs11::Module& module, const std::string& label,
                                     const std::string& pin_file, const std::string& so_pin_file);

/// RFC 7512 percent-encoding of a URI attribute value.
std::string PercentEncode(const std::string& value);

/// The files `credential new` wrote.
struct NewCredential {
  std::string access_key_id;
  std::string secret_file;
  std::string console_file;
  config::CredentialConfig config_entry;  ///< its tenants[].credentials[] entry
};

/// Creates a credential for the tenant with `path_prefix`: writes the secret file and the KMS
/// console configuration file (both 0600, new) under `out_dir`. Does not touch the config document.
/// With `secret_out`, the secret is also returned (for --show-secret).
NewCredential WriteNewCredential(const std::string& path_prefix, const std::string& out_dir,
                                 SecretBytes* secret_out);

/// Default directory for a tenant's credential files: "<config dir>/credentials/<tenant>".
std::string DefaultCredentialDir(const ConfigStore& store, const std::string& tenant);

/// Tenant, token and key names xksctl accepts as ids: 1..64 of A-Z a-z 0-9 . - _ (the validator's
/// rule for tenant names and token ids).
bool IsValidName(const std::string& name);

/// Saves the store and signals the proxy; returns {"reload": ...} details for the JSON output.
nlohmann::json SaveAndReload(Context& ctx, ConfigStore& store);

}  // namespace xks::xksctl
