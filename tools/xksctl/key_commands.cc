// `xksctl key ...`: tenant keys in the HSM and their externalKeyId mapping in the configuration.

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "base/openssl.h"
#include "proxy/tenant/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/erasure.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

struct Usage {
  bool encrypt = false, decrypt = false;
};

Usage ParseUsage(const std::string& text) {
  if (text == "encrypt,decrypt" || text == "decrypt,encrypt") return {true, true};
  if (text == "encrypt") return {true, false};
  if (text == "decrypt") return {false, true};
  if (text == "none") return {false, false};
  throw UsageError("--usage must be encrypt,decrypt | encrypt | decrypt | none");
}

std::string KeyLabel(const std::string& tenant, const std::string& key_id, int version) {
  return "xks-" + tenant + "-" + key_id + "-v" + std::to_string(version);
}

// The key's versions as [{version, label, retired, created?}], from either config form.
nlohmann::json Versions(const nlohmann::json& key) {
  if (key.contains("versions")) return key["versions"];
  return nlohmann::json::array({{{"version", 1}, {"label", key.value("label", "")}}});
}

// Converts the short {"label": ...} form to the versions form (same meaning) so versions can be
// added.
void NormalizeToVersions(nlohmann::json& key) {
  if (key.contains("versions")) return;
  key["versions"] = Versions(key);
  key.erase("label");
}

nlohmann::json& FindKey(ConfigStore& store, const std::string& tenant, const std::string& key_id) {
  nlohmann::json& t = store.Tenant(tenant);
  if (!t.contains("keys") || !t["keys"].is_object() || !t["keys"].contains(key_id)) {
    throw OperationError("tenant " + tenant + " has no key " + key_id + " (see `xksctl key list " +
                         tenant + "`)");
  }
  return t["keys"][key_id];
}

// The attributes of a new key version: `label`, a random CKA_ID, the given usage.
pkcs11::AesKeySpec NewKeySpec(const std::string& label, Usage usage) {
  pkcs11::AesKeySpec spec;
  spec.label = label;
  SecretBytes id = RandomBytes(16);
  spec.id.assign(id.data(), id.data() + id.size());
  spec.encrypt = usage.encrypt;
  spec.decrypt = usage.decrypt;
  return spec;
}

// The next version number of `key` (normalized to the versions form) and the newest version's
// label. Throws OperationError at the 16-bit limit of ciphertextMetadata.
struct NextVersion {
  int version = 1;
  std::string latest_label;
};
NextVersion NextVersionOf(nlohmann::json& key, const std::string& key_id) {
  NormalizeToVersions(key);
  NextVersion next;
  int latest = 0;
  for (const auto& v : key["versions"]) {
    if (v.value("version", 0) > latest) {
      latest = v.value("version", 0);
      next.latest_label = v.value("label", "");
    }
  }
  if (latest >= 65535) throw OperationError("key " + key_id + " has reached version 65535");
  next.version = latest + 1;
  return next;
}

// --usage if given; else a new version keeps the usage of the newest one (encrypt,decrypt for a
// first version).
Usage UsageForNewVersion(const ParsedArgs& args, TenantHsm& hsm, const std::string& latest_label) {
  if (auto u = args.Get("usage")) return ParseUsage(*u);
  if (latest_label.empty()) return Usage{true, true};
  auto info = hsm.client->DescribeKey(latest_label, AdminDeadline());
  return info.ok() ? Usage{info->usage.encrypt, info->usage.decrypt} : Usage{true, true};
}

// Creates an AES-256 key (sensitive, non-extractable) with the given usage; returns its info.
pkcs11::KeyInfo CreateKey(TenantHsm& hsm, const std::string& label, Usage usage) {
  auto created = hsm.client->CreateAesKey(NewKeySpec(label, usage), AdminDeadline());
  if (!created.ok()) ThrowHsm("cannot create HSM key " + label, created.error());
  return created.value();
}

// Saves; when the configuration cannot be written, destroys the just-created key so no unmapped
// key is left behind. A failed reload signal comes after the save and keeps the key.
nlohmann::json SaveOrRollBack(Context& ctx, ConfigStore& store, TenantHsm& hsm,
                              const std::string& label) {
  try {
    store.Save();
  } catch (const OperationError&) {
    (void)hsm.client->DestroyKey(label, AdminDeadline());
    throw;
  }
  return SignalReload(ctx);
}

int RunKeyCreate(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  const Usage usage = ParseUsage(args.GetOr("usage", "encrypt,decrypt"));
  if (!tenant::IsValidExternalKeyId(key_id)) {
    throw UsageError("EXTERNAL_KEY_ID must be 1..128 of A-Z a-z 0-9 . - _");
  }
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& t = store->Tenant(tenant);
  if (!t["keys"].is_object()) t["keys"] = nlohmann::json::object();
  if (t["keys"].contains(key_id)) {
    throw OperationError("tenant " + tenant + " already has key " + key_id +
                         " — use `xksctl key rotate` for a new version");
  }
  TenantHsm hsm = OpenTenantHsm(store->doc(), t, store->BaseDir());
  const std::string label = KeyLabel(tenant, key_id, 1);
  pkcs11::KeyInfo info = CreateKey(hsm, label, usage);
  const std::string created = NowUtc();
  t["keys"][key_id] = {
      {"versions",
       nlohmann::json::array({{{"version", 1}, {"label", label}, {"_created", created}}})}};
  nlohmann::json reload = SaveOrRollBack(ctx, *store, hsm, label);
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"label", label},
               {"version", 1},
               {"usage", UsageString(info.usage)},
               {"created", created},
               {"reload", reload}},
              "created key " + key_id + " for tenant " + tenant + ": HSM key " + label +
                  " (AES-256, " + UsageString(info.usage) + ", sensitive, non-extractable)\n");
}

// One key's description; `hsm` may be null (HSM not reachable).
nlohmann::json DescribeConfiguredKey(const std::string& key_id, const nlohmann::json& key,
                                     bool tenant_disabled, TenantHsm* hsm) {
  nlohmann::json versions = nlohmann::json::array();
  nlohmann::json current = nullptr;
  for (const auto& v : Versions(key)) {
    nlohmann::json item = {{"version", v.value("version", 0)},
                           {"label", v.value("label", "")},
                           {"retired", v.value("retired", false)},
                           {"created", v.value("_created", "")}};
    if (v.contains("_retired")) item["retired_at"] = v["_retired"];
    if (hsm != nullptr) {
      auto info = hsm->client->DescribeKey(item["label"].get<std::string>(), AdminDeadline());
      item["present"] = info.ok();
      item["usage"] = info.ok() ? UsageString(info->usage) : "missing";
    }
    if (!item["retired"].get<bool>() &&
        (current.is_null() || item["version"].get<int>() > current["version"].get<int>())) {
      current = item;
    }
    versions.push_back(std::move(item));
  }
  const bool disabled = key.value("disabled", false);
  nlohmann::json out = {{"external_key_id", key_id},
                        {"status", disabled || tenant_disabled ? "DISABLED" : "ENABLED"},
                        {"disabled", disabled},
                        {"versions", versions},
                        {"version_count", versions.size()}};
  if (!current.is_null()) {
    out["current_version"] = current["version"];
    out["label"] = current["label"];
    out["created"] = current["created"];
    if (current.contains("usage")) out["usage"] = current["usage"];
  }
  return out;
}

// Opens the tenant's token for read-only reporting; a failure is reported, not fatal.
std::optional<TenantHsm> TryOpen(ConfigStore& store, const nlohmann::json& t, nlohmann::json& note,
                                 bool skip) {
  if (skip) return std::nullopt;
  try {
    return OpenTenantHsm(store.doc(), t, store.BaseDir());
  } catch (const OperationError& e) {
    note = e.what();
    return std::nullopt;
  }
}

int RunKeyList(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const nlohmann::json& t = store->Tenant(tenant);
  nlohmann::json hsm_error = nullptr;
  auto hsm = TryOpen(*store, t, hsm_error, args.Has("no-hsm"));
  nlohmann::json keys = nlohmann::json::array();
  std::ostringstream text;
  text << "KEY ID                STATUS    VER  USAGE            CREATED               LABEL\n";
  for (const auto& [id, key] : KeysOf(t).items()) {
    nlohmann::json k =
        DescribeConfiguredKey(id, key, t.value("disabled", false), hsm ? &*hsm : nullptr);
    auto pad = [](std::string s, std::size_t w) {
      return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
    };
    text << pad(id, 22) << pad(k["status"], 10)
         << pad(std::to_string(k.value("current_version", 0)) + "/" +
                    std::to_string(k["version_count"].get<std::size_t>()),
                5)
         << pad(k.value("usage", "?"), 17) << pad(k.value("created", ""), 22)
         << k.value("label", "") << "\n";
    keys.push_back(std::move(k));
  }
  if (!hsm_error.is_null())
    text << "note: HSM not reachable, usage unknown: " << hsm_error.get<std::string>() << "\n";
  return Emit(ctx, {{"tenant", tenant}, {"keys", keys}, {"hsm_error", hsm_error}}, text.str());
}

int SetKeyDisabled(Context& ctx, const ParsedArgs& args, bool disabled) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& key = FindKey(*store, tenant, key_id);
  if (disabled) {
    key["disabled"] = true;
  } else {
    key.erase("disabled");
  }
  nlohmann::json reload = SaveAndReload(ctx, *store);
  return Emit(
      ctx,
      {{"tenant", tenant}, {"external_key_id", key_id}, {"disabled", disabled}, {"reload", reload}},
      "key " + key_id + " of tenant " + tenant + (disabled ? " disabled\n" : " enabled\n"));
}

int RunKeyRotate(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& key = FindKey(*store, tenant, key_id);
  const NextVersion next = NextVersionOf(key, key_id);
  TenantHsm hsm = OpenTenantHsm(store->doc(), store->Tenant(tenant), store->BaseDir());
  const Usage usage = UsageForNewVersion(args, hsm, next.latest_label);
  const int version = next.version;
  const std::string label = KeyLabel(tenant, key_id, version);
  pkcs11::KeyInfo info = CreateKey(hsm, label, usage);
  const std::string created = NowUtc();
  key["versions"].push_back({{"version", version}, {"label", label}, {"_created", created}});
  nlohmann::json reload = SaveOrRollBack(ctx, *store, hsm, label);
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"version", version},
               {"label", label},
               {"usage", UsageString(info.usage)},
               {"created", created},
               {"reload", reload}},
              "rotated key " + key_id + " of tenant " + tenant + ": version " +
                  std::to_string(version) + " = HSM key " + label +
                  " (new encrypts use it; older versions still decrypt)\n");
}

int RunKeyVersions(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const nlohmann::json& t = store->Tenant(tenant);
  const nlohmann::json key = FindKey(*store, tenant, key_id);
  nlohmann::json hsm_error = nullptr;
  auto hsm = TryOpen(*store, t, hsm_error, args.Has("no-hsm"));
  nlohmann::json k =
      DescribeConfiguredKey(key_id, key, t.value("disabled", false), hsm ? &*hsm : nullptr);
  std::ostringstream text;
  text << "VERSION  STATE    USAGE            CREATED               LABEL\n";
  for (const auto& v : k["versions"]) {
    std::string state = v["retired"].get<bool>() ? "retired" : "active";
    if (k.contains("current_version") && v["version"] == k["current_version"]) state = "current";
    std::string ver = std::to_string(v["version"].get<int>());
    std::string usage = v.value("usage", "?");
    std::string created = v.value("created", "");
    text << ver << std::string(9 - std::min<std::size_t>(ver.size(), 8), ' ') << state
         << std::string(9 - std::min<std::size_t>(state.size(), 8), ' ') << usage
         << std::string(17 - std::min<std::size_t>(usage.size(), 16), ' ') << created
         << std::string(22 - std::min<std::size_t>(created.size(), 21), ' ')
         << v["label"].get<std::string>() << "\n";
  }
  k["tenant"] = tenant;
  k["hsm_error"] = hsm_error;
  return Emit(ctx, std::move(k), text.str());
}

int RunKeyRetireVersion(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  int version = 0;
  try {
    version = std::stoi(args.Positional(2));
  } catch (const std::exception&) {
    throw UsageError("VERSION must be a number");
  }
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& key = FindKey(*store, tenant, key_id);
  NormalizeToVersions(key);
  nlohmann::json* target = nullptr;
  for (auto& v : key["versions"]) {
    if (v.value("version", 0) == version) target = &v;
  }
  if (target == nullptr) {
    throw OperationError("key " + key_id + " of tenant " + tenant + " has no version " +
                         std::to_string(version));
  }
  if (target->value("retired", false)) {
    throw OperationError("version " + std::to_string(version) + " of key " + key_id +
                         " is already retired");
  }
  const std::string label = target->value("label", "");
  (*target)["retired"] = true;
  (*target)["_retired"] = NowUtc();
  const nlohmann::json audit = [&] {
    nlohmann::json a = store->doc().value("audit", nlohmann::json::object());
    if (a.is_object() && a.contains("directory") && a["directory"].is_string()) {
      a["directory"] = ResolvePath(store->BaseDir(), a["directory"].get<std::string>());
    }
    return a;
  }();
  nlohmann::json reload = SaveAndReload(ctx, *store);
  nlohmann::json encrypts = CountAuditedEncrypts(audit, tenant, key_id, label);
  std::string text = "retired version " + std::to_string(version) + " (" + label + ") of key " +
                     key_id + "; it still decrypts, new encrypts use the newest active version\n";
  if (encrypts.contains("ok")) {
    text += "  audit log: " + std::to_string(encrypts["ok"].get<std::uint64_t>()) +
            " successful Encrypt request(s) used this version (" +
            std::to_string(encrypts["failed"].get<std::uint64_t>()) + " failed)\n";
  } else {
    text += "  audit log: not counted (" + encrypts["unavailable"].get<std::string>() + ")\n";
  }
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"version", version},
               {"label", label},
               {"audited_encrypts", encrypts},
               {"reload", reload}},
              text);
}

// ---- Bring your own key: import-params / import ----

constexpr unsigned kWrappingKeyBits = 3072;

std::string WrappingKeyLabel(const std::string& tenant, const std::string& key_id) {
  return "xks-" + tenant + "-" + key_id + "-wrap";
}

pkcs11::OaepHash ParseWrappingAlgorithm(const std::string& text) {
  if (text == "RSAES_OAEP_SHA_256") return pkcs11::OaepHash::kSha256;
  if (text == "RSAES_OAEP_SHA_1") return pkcs11::OaepHash::kSha1;
  throw UsageError("--wrapping-algorithm must be RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1");
}

void CheckKeyId(const std::string& key_id) {
  if (!tenant::IsValidExternalKeyId(key_id)) {
    throw UsageError("EXTERNAL_KEY_ID must be 1..128 of A-Z a-z 0-9 . - _");
  }
}

// SubjectPublicKeyInfo PEM of an RSA public key given as big-endian modulus and exponent.
std::string RsaPublicKeyPem(const pkcs11::RsaPublicKey& key) {
  BignumPtr n(BN_bin2bn(key.modulus.data(), static_cast<int>(key.modulus.size()), nullptr));
  BignumPtr e(
      BN_bin2bn(key.public_exponent.data(), static_cast<int>(key.public_exponent.size()), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    throw OperationError("cannot encode the wrapping public key (OpenSSL param build)");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw OperationError("cannot encode the wrapping public key (OpenSSL fromdata)");
  }
  EvpPkeyPtr pkey(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
    throw OperationError("cannot encode the wrapping public key (PEM)");
  }
  return BioContents(bio.get());
}

int RunKeyImportParams(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  CheckKeyId(key_id);
  const std::string algorithm = args.GetOr("wrapping-algorithm", "RSAES_OAEP_SHA_256");
  (void)ParseWrappingAlgorithm(algorithm);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const nlohmann::json& t = store->Tenant(tenant);
  TenantHsm hsm = OpenTenantHsm(store->doc(), t, store->BaseDir());
  const std::string label = WrappingKeyLabel(tenant, key_id);
  bool replaced = false;
  if (args.Has("replace")) {
    // Both halves carry the label, so this destroys the whole earlier pair.
    auto destroyed = hsm.client->DestroyKey(label, AdminDeadline());
    if (!destroyed.ok() && destroyed.error().kind != pkcs11::HsmErrorKind::kNotFound) {
      ThrowHsm("cannot destroy the earlier wrapping key pair " + label, destroyed.error());
    }
    replaced = destroyed.ok();
  }
  SecretBytes id = RandomBytes(16);
  auto pub = hsm.client->GenerateRsaWrappingKeyPair(
      label, std::span<const std::uint8_t>(id.data(), id.size()), kWrappingKeyBits,
      AdminDeadline());
  if (!pub.ok()) {
    ThrowHsm("cannot create wrapping key pair " + label +
                 " (a pair from an earlier import-params may exist: import with it, or give "
                 "--replace)",
             pub.error());
  }
  const std::string pem = RsaPublicKeyPem(pub.value());
  const auto out = args.Get("out");
  if (out) WriteFileAtomic(*out, pem, 0644);
  nlohmann::json data = {{"tenant", tenant},
                         {"external_key_id", key_id},
                         {"wrapping_key_label", label},
                         {"wrapping_algorithm", algorithm},
                         {"key_bits", kWrappingKeyBits},
                         {"replaced", replaced},
                         {"public_key_pem", pem}};
  if (out) data["out"] = *out;
  std::string text = out ? "wrote the RSA-" + std::to_string(kWrappingKeyBits) +
                               " wrapping public key (" + label + ") to " + *out + "\n"
                         : pem;
  return Emit(ctx, std::move(data), text);
}

std::vector<std::uint8_t> ReadBinaryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OperationError(path + ": cannot read");
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

int RunKeyImport(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  CheckKeyId(key_id);
  const pkcs11::OaepHash hash =
      ParseWrappingAlgorithm(args.GetOr("wrapping-algorithm", "RSAES_OAEP_SHA_256"));
  const auto wrapped_path = args.Get("wrapped-key");
  if (!wrapped_path) throw UsageError("--wrapped-key FILE is required");
  const std::vector<std::uint8_t> wrapped = ReadBinaryFile(*wrapped_path);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& t = store->Tenant(tenant);
  if (!t["keys"].is_object()) t["keys"] = nlohmann::json::object();
  const bool rotation = t["keys"].contains(key_id);
  const NextVersion next = rotation ? NextVersionOf(t["keys"][key_id], key_id) : NextVersion{};
  const int version = next.version;
  TenantHsm hsm = OpenTenantHsm(store->doc(), t, store->BaseDir());
  const Usage usage = UsageForNewVersion(args, hsm, next.latest_label);
  const std::string wrap_label = WrappingKeyLabel(tenant, key_id);
  const std::string label = KeyLabel(tenant, key_id, version);
  auto imported = hsm.client->UnwrapAesKeyRsaOaep(wrap_label, wrapped, NewKeySpec(label, usage),
                                                  AdminDeadline(), hash);
  if (!imported.ok()) {
    ThrowHsm("cannot import the wrapped key with " + wrap_label +
                 " (run `xksctl key import-params` first; the material must be 32 bytes wrapped "
                 "with RSAES-OAEP as --wrapping-algorithm says; the wrapping pair is kept for a "
                 "retry; SoftHSMv2 2.6 cannot import: see docs/xksctl.md)",
             imported.error());
  }
  const std::string created = NowUtc();
  nlohmann::json entry = {
      {"version", version}, {"label", label}, {"_created", created}, {"_origin", "EXTERNAL"}};
  if (rotation) {
    t["keys"][key_id]["versions"].push_back(entry);
  } else {
    t["keys"][key_id] = {{"versions", nlohmann::json::array({entry})}};
  }
  nlohmann::json reload = SaveOrRollBack(ctx, *store, hsm, label);
  // The wrapping pair is single-use: once the key is mapped it has no further purpose.
  auto destroyed = hsm.client->DestroyKey(wrap_label, AdminDeadline());
  std::string text = std::string(rotation ? "imported a new version of" : "imported") + " key " +
                     key_id + " for tenant " + tenant + ": version " + std::to_string(version) +
                     " = HSM key " + label + " (AES-256, " + UsageString(imported->usage) +
                     ", sensitive, non-extractable)\n";
  if (!destroyed.ok()) {
    text += "warning: could not destroy the wrapping key pair " + wrap_label + ": " +
            destroyed.error().message + "\n";
  }
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"label", label},
               {"version", version},
               {"rotation", rotation},
               {"usage", UsageString(imported->usage)},
               {"created", created},
               {"wrapping_key_destroyed", destroyed.ok()},
               {"reload", reload}},
              text);
}

}  // namespace

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
       RunKeyCreate});
  cmds.push_back({"key",
                  "list",
                  "TENANT [--no-hsm]",
                  "Lists the tenant's keys: id, status, current version, usage (from the HSM), "
                  "created, label.",
                  {{"no-hsm", "", "do not open the token (usage is then not shown)"}},
                  1,
                  1,
                  RunKeyList});
  cmds.push_back({"key",
                  "disable",
                  "TENANT EXTERNAL_KEY_ID",
                  "Marks the key disabled: GetKeyMetadata says DISABLED, Encrypt/Decrypt refused.",
                  {},
                  2,
                  2,
                  [](Context& c, const ParsedArgs& a) { return SetKeyDisabled(c, a, true); }});
  cmds.push_back({"key",
                  "enable",
                  "TENANT EXTERNAL_KEY_ID",
                  "Re-enables a disabled key.",
                  {},
                  2,
                  2,
                  [](Context& c, const ParsedArgs& a) { return SetKeyDisabled(c, a, false); }});
  cmds.push_back({"key",
                  "rotate",
                  "TENANT EXTERNAL_KEY_ID [--usage U]",
                  "Adds a key version: a new HSM key xks-TENANT-KEYID-vN (same usage as the "
                  "newest version unless --usage) under the same externalKeyId. New encrypts use "
                  "it; older versions still decrypt.",
                  {{"usage", "U", "usage of the new version (default: as the newest version)"}},
                  2,
                  2,
                  RunKeyRotate});
  cmds.push_back({"key",
                  "versions",
                  "TENANT EXTERNAL_KEY_ID [--no-hsm]",
                  "Lists the key's versions (state, usage, created, label).",
                  {{"no-hsm", "", "do not open the token"}},
                  2,
                  2,
                  RunKeyVersions});
  cmds.push_back({"key",
                  "retire-version",
                  "TENANT EXTERNAL_KEY_ID VERSION",
                  "Marks a version retired: no new encrypts, still decrypts. Reports how many "
                  "audited Encrypt requests used it when the audit log is readable.",
                  {},
                  3,
                  3,
                  RunKeyRetireVersion});
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
       RunKeyImportParams});
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
       RunKeyImport});
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
