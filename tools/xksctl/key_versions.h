#pragma once
// A key's entry in the configuration (its versions and their HSM labels) and the HSM keys behind
// new versions: what the `xksctl key` commands share.

#include <nlohmann/json.hpp>
#include <string>

#include "pkcs11/hsm.h"
#include "tools/xksctl/cli.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/hsm_access.h"

namespace xks::xksctl::keys {

/// The CKA_ENCRYPT / CKA_DECRYPT choice of a key version.
struct Usage {
  bool encrypt = false, decrypt = false;
};

/// --usage: encrypt,decrypt | encrypt | decrypt | none. Throws UsageError otherwise.
Usage ParseUsage(const std::string& text);

/// The HSM label of a key version: xks-TENANT-KEYID-vN.
std::string KeyLabel(const std::string& tenant, const std::string& key_id, int version);

/// The configuration entry of `key_id` in `tenant`; throws OperationError when there is none.
config::KeyConfig& FindKey(ConfigStore& store, const std::string& tenant,
                           const std::string& key_id);

/// Adds `key` to the tenant's keys, keeping them sorted by external_key_id (as ParseConfig does).
void AddKey(config::TenantConfig& tenant, config::KeyConfig key);

/// Adds a new version of `key_id` in `tenant` (a new key when there is none yet) and records when
/// it was created (and, if given, where its material came from) as comment keys on the entry.
void AddVersion(ConfigStore& store, const std::string& tenant, const std::string& key_id,
                int version, const std::string& label, const std::string& created,
                const std::string& origin = "");

/// The attributes of a new key version: `label`, a random CKA_ID, the given usage.
pkcs11::AesKeySpec NewKeySpec(const std::string& label, Usage usage);

/// The next version number of `key` and the newest version's label. Throws OperationError at the
/// 16-bit limit of ciphertextMetadata.
struct NextVersion {
  int version = 1;
  std::string latest_label;
};
NextVersion NextVersionOf(const config::KeyConfig& key, const std::string& key_id);

/// --usage if given; else a new version keeps the usage of the newest one (encrypt,decrypt for a
/// first version).
Usage UsageForNewVersion(const ParsedArgs& args, TenantHsm& hsm, const std::string& latest_label);

/// Creates an AES-256 key (sensitive, non-extractable) with the given usage; returns its info.
pkcs11::KeyInfo CreateKey(TenantHsm& hsm, const std::string& label, Usage usage);

/// Saves; when the configuration cannot be written, destroys the just-created key so no unmapped
/// key is left behind. A failed reload signal comes after the save and keeps the key.
nlohmann::json SaveOrRollBack(Context& ctx, ConfigStore& store, TenantHsm& hsm,
                              const std::string& label);

}  // namespace xks::xksctl::keys
