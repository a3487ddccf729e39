// `xksctl key ...`: tenant keys in the HSM and their externalKeyId mapping in the configuration.
// This file is the command table; the commands live in key_*_commands.cc.

#include "tools/xksctl/commands.h"
#include "tools/xksctl/erasure.h"
#include "tools/xksctl/key_handlers.h"

namespace xks::xksctl {

std::vector<Command> KeyCommands() {
  std::vector<Command> cmds;
  cmds.push_back(
      {"key",
       "create",
       "TENANT EXTERNAL_KEY_ID [--usage encrypt,decrypt|encrypt|decrypt|none]",
       "Creates an AES-256 key in the tenant's token (sensitive, non-extractable, CKA_ENCRYPT / "
       "CKA_DECRYPT as chosen, label xks-TENANT-KEYID-v1) and maps EXTERNAL_KEY_ID to it.",
       {{"usage", "U", "encrypt,decrypt (default) | encrypt | decrypt | none"}},
       2,
       2,
       keys::RunKeyCreate});
  cmds.push_back({"key",
                  "list",
                  "TENANT [--no-hsm]",
                  "Lists the tenant's keys: id, status, current version, usage (from the HSM), "
                  "created, label.",
                  {{"no-hsm", "", "do not open the token (usage is then not shown)"}},
                  1,
                  1,
                  keys::RunKeyList});
  cmds.push_back(
      {"key",
       "disable",
       "TENANT EXTERNAL_KEY_ID",
       "Marks the key disabled: GetKeyMetadata says DISABLED, Encrypt/Decrypt refused.",
       {},
       2,
       2,
       [](Context& c, const ParsedArgs& a) { return keys::SetKeyDisabled(c, a, true); }});
  cmds.push_back(
      {"key",
       "enable",
       "TENANT EXTERNAL_KEY_ID",
       "Re-enables a disabled key.",
       {},
       2,
       2,
       [](Context& c, const ParsedArgs& a) { return keys::SetKeyDisabled(c, a, false); }});
  cmds.push_back({"key",
                  "rotate",
                  "TENANT EXTERNAL_KEY_ID [--usage U]",
                  "Adds a key version: a new HSM key xks-TENANT-KEYID-vN (same usage as the "
                  "newest version unless --usage) under the same externalKeyId. New encrypts use "
                  "it; older versions still decrypt.",
                  {{"usage", "U", "usage of the new version (default: as the newest version)"}},
                  2,
                  2,
                  keys::RunKeyRotate});
  cmds.push_back({"key",
                  "versions",
                  "TENANT EXTERNAL_KEY_ID [--no-hsm]",
                  "Lists the key's versions (state, usage, created, label).",
                  {{"no-hsm", "", "do not open the token"}},
                  2,
                  2,
                  keys::RunKeyVersions});
  cmds.push_back({"key",
                  "retire-version",
                  "TENANT EXTERNAL_KEY_ID VERSION",
                  "Marks a version retired: no new encrypts, still decrypts. Reports how many "
                  "audited Encrypt requests used it when the audit log is readable.",
                  {},
                  3,
                  3,
                  keys::RunKeyRetireVersion});
  cmds.push_back(
      {"key",
       "import-params",
       "TENANT EXTERNAL_KEY_ID [--out FILE] [--wrapping-algorithm A] [--replace]",
       "Bring your own key, step 1: generates a one-time RSA-3072 wrapping key pair "
       "xks-TENANT-KEYID-wrap in the tenant's token (private key sensitive, non-extractable, "
       "unwrap only) and prints its public key as PEM (SubjectPublicKeyInfo). Wrap the 32-byte "
       "AES-256 key material with RSAES-OAEP (SHA-256, MGF1-SHA256, no label), then run `key "
       "import`.",
       {{"out", "FILE", "write the PEM public key to FILE instead of standard output"},
        {"wrapping-algorithm", "A",
         "RSAES_OAEP_SHA_256 (default) | RSAES_OAEP_SHA_1: reported for the wrapping tool"},
        {"replace", "", "destroy a wrapping key pair left by an earlier import-params first"}},
       2,
       2,
       keys::RunKeyImportParams});
  cmds.push_back(
      {"key",
       "import",
       "TENANT EXTERNAL_KEY_ID --wrapped-key FILE [--wrapping-algorithm A] [--usage U]",
       "Bring your own key, step 2: unwraps FILE (raw RSA-OAEP ciphertext) inside the HSM "
       "(C_UnwrapKey) into a sensitive, non-extractable AES-256 key xks-TENANT-KEYID-vN: version "
       "1 for a new EXTERNAL_KEY_ID, the next version (a rotation) for an existing one. Maps it "
       "like `key create`, then destroys the wrapping key pair (it is single-use: run "
       "import-params again for the next import) and reloads the proxy.",
       {{"wrapped-key", "FILE", "the wrapped key material (binary)"},
        {"wrapping-algorithm", "A",
         "RSAES_OAEP_SHA_256 (default; OAEP and MGF1 with SHA-256, empty label) | "
         "RSAES_OAEP_SHA_1 (OAEP and MGF1 with SHA-1)"},
        {"usage", "U", "encrypt,decrypt (default; a rotation keeps the newest version's) | ..."}},
       2,
       2,
       keys::RunKeyImport});
  cmds.push_back(
      {"key",
       "shred",
       "TENANT EXTERNAL_KEY_ID [--yes-destroy EXTERNAL_KEY_ID] [--certificate F]",
       "Crypto-shreds one key: removes it from the configuration, reloads, destroys every version "
       "in the HSM, proves it (lookup fails, a canary no longer decrypts) and writes a signed "
       "erasure certificate.",
       {{"yes-destroy", "KEYID", "confirm without a terminal; must equal EXTERNAL_KEY_ID"},
        {"certificate", "F", "erasure certificate path"}},
       2,
       2,
       [](Context& c, const ParsedArgs& a) {
         return ShredKey(c, a, a.Positional(0), a.Positional(1));
       }});
  return cmds;
}

}  // namespace xks::xksctl
