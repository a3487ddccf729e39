#include "tools/xksctl/erasure.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>

#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

constexpr std::string_view kCanaryAad = "xksctl erasure canary";

// One key object to destroy and what is known about it.
struct Target {
  std::string label;
  std::string external_key_id;  // "" for objects no key id maps (health-check key, others)
  int version = 0;
  std::string role;  // "tenant-key", "health-check", "other"
  std::optional<pkcs11::GcmSealed> canary;
  nlohmann::json result = nlohmann::json::object();
};

std::string KindName(const pkcs11::HsmError& e) {
  return std::string(pkcs11::HsmErrorKindName(e.kind));
}

std::string ClassName(pkcs11::KeyClass c) {
  switch (c) {
    case pkcs11::KeyClass::kSecret:
      return "secret";
    case pkcs11::KeyClass::kPrivate:
      return "private";
    case pkcs11::KeyClass::kPublic:
      return "public";
    default:
      return "other";
  }
}

// Encrypts a random canary with each encrypt-capable AES key, destroys every target, then proves
// with a freshly opened session (no cached handles) that the labels are gone and the canaries no
// longer decrypt. `remove_from_config` runs between the canaries and the destruction so the proxy
// stops serving the keys before they disappear. Returns true when every target is proven gone.
bool DestroyWithProof(TenantHsm& hsm, std::vector<Target>& targets,
                      const std::function<void()>& remove_from_config) {
  SecretBytes canary_plaintext = RandomBytes(32);
  std::span<const std::uint8_t> aad(reinterpret_cast<const std::uint8_t*>(kCanaryAad.data()),
                                    kCanaryAad.size());
  for (auto& t : targets) {
    auto info = hsm.client->DescribeKey(t.label, AdminDeadline());
    if (!info.ok()) {
      t.result["present_before"] = false;
      t.result["canary"] = "none: " + KindName(info.error());
      continue;
    }
    t.result["present_before"] = true;
    t.result["class"] = ClassName(info->key_class);
    if (info->key_class == pkcs11::KeyClass::kSecret && info->key_type == pkcs11::KeyType::kAes &&
        info->usage.encrypt) {
      auto sealed = hsm.client->Encrypt(t.label, canary_plaintext.span(), aad, AdminDeadline());
      if (sealed.ok()) {
        t.canary = std::move(sealed).value();
        t.result["canary"] = "encrypted";
      } else {
        t.result["canary"] = "none: encrypt failed: " + KindName(sealed.error());
      }
    } else {
      t.result["canary"] = "none: key cannot encrypt";
    }
  }

  remove_from_config();

  for (auto& t : targets) {
    auto destroyed = hsm.client->DestroyKey(t.label, AdminDeadline());
    t.result["destroyed_at"] = NowUtc();
    if (destroyed.ok()) {
      t.result["destroy"] = "destroyed";
    } else if (destroyed.error().kind == pkcs11::HsmErrorKind::kNotFound) {
      t.result["destroy"] = "already absent";
    } else {
      t.result["destroy"] = "failed: " + destroyed.error().ToLogString();
    }
  }

  // A new client has no handle cache, so "not found" is the token's answer, not a stale cache's.
  hsm.client.reset();
  auto fresh = pkcs11::TokenClient::Open(hsm.module, hsm.config);
  if (!fresh.ok())
    ThrowHsm("keys destroyed, but the token cannot be reopened to verify", fresh.error());
  auto listed = fresh.value()->ListKeys(AdminDeadline());
  if (!listed.ok()) ThrowHsm("cannot list the token's keys to verify", listed.error());
  bool all_gone = true;
  for (auto& t : targets) {
    bool still_listed = false;
    for (const auto& k : listed.value()) still_listed = still_listed || k.label == t.label;
    auto describe = fresh.value()->DescribeKey(t.label, AdminDeadline());
    bool not_found = !describe.ok() && describe.error().kind == pkcs11::HsmErrorKind::kNotFound;
    t.result["lookup_after"] = describe.ok() ? "FOUND" : KindName(describe.error());
    t.result["listed_after"] = still_listed;
    bool gone = not_found && !still_listed;
    if (t.canary) {
      auto plain = fresh.value()->Decrypt(t.label, t.canary->iv, t.canary->ciphertext,
                                          t.canary->tag, aad, AdminDeadline());
      t.result["canary_decrypt_after"] =
          plain.ok() ? "DECRYPTED" : "failed: " + KindName(plain.error());
      gone = gone && !plain.ok();
    }
    t.result["erased"] = gone;
    all_gone = all_gone && gone;
  }
  return all_gone;
}

// Saves the configuration (a refusal aborts the shred before anything is destroyed), then signals
// the proxy. A failed signal must not stop the destruction: the keys are no longer configured, so
// the shred goes on and the failure is reported at the end (exit 1).
nlohmann::json SaveThenReload(Context& ctx, ConfigStore& store) {
  store.Save();
  try {
    return SignalReload(ctx);
  } catch (const OperationError& e) {
    return {{"error", e.what()}};
  }
}

std::string CompactTime() {
  std::string t = NowUtc();
  std::string out;
  for (char c : t) {
    if (c != '-' && c != ':') out.push_back(c);
  }
  return out;
}

// Writes the certificate (signature included) and returns its path.
std::string WriteCertificate(nlohmann::json& cert, const nlohmann::json& audit_section,
                             const std::string& base_dir, const std::string& path) {
  cert["signature"] = SignWithAuditKey(audit_section, base_dir, cert);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  WriteFileAtomic(path, cert.dump(2) + "\n", 0644);
  return path;
}

nlohmann::json ResolvedAudit(const nlohmann::json& audit, const std::string& base_dir) {
  nlohmann::json out = audit;
  if (out.is_object() && out.contains("directory") && out["directory"].is_string()) {
    out["directory"] = ResolvePath(base_dir, out["directory"].get<std::string>());
  }
  if (out.is_object() && out.contains("signer") && out["signer"].is_object() &&
      out["signer"].contains("key_file") && out["signer"]["key_file"].is_string()) {
    out["signer"]["key_file"] = ResolvePath(base_dir, out["signer"]["key_file"].get<std::string>());
  }
  return out;
}

// Shared by tenant and key shred: certificate, audit record, output.
int FinishShred(Context& ctx, nlohmann::json cert, const std::vector<Target>& targets,
                bool all_gone, const nlohmann::json& audit, const std::string& base_dir,
                const std::string& cert_path) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& t : targets) {
    nlohmann::json k = t.result;
    k["label"] = t.label;
    k["role"] = t.role;
    if (!t.external_key_id.empty()) {
      k["external_key_id"] = t.external_key_id;
      k["version"] = t.version;
    }
    keys.push_back(std::move(k));
  }
  cert["keys"] = keys;
  cert["all_erased"] = all_gone;
  cert["completed_at"] = NowUtc();
  cert["audit_event"] =
      RecordAdminEvent(audit, cert["scope"] == "tenant" ? "tenant.shred" : "key.shred",
                       cert["tenant"], cert.value("external_key_id", ""),
                       {{"labels",
                         [&] {
                           nlohmann::json l = nlohmann::json::array();
                           for (const auto& t : targets) l.push_back(t.label);
                           return l;
                         }()},
                        {"all_erased", all_gone},
                        {"certificate", cert_path}});
  WriteCertificate(cert, audit, base_dir, cert_path);
  if (!all_gone) {
    throw OperationError(
        "shred incomplete: some key objects are still present or a canary still "
        "decrypts — see " +
        cert_path);
  }
  std::ostringstream text;
  text << "shredded " << (cert["scope"] == "tenant" ? "tenant " : "key ")
       << cert.value("external_key_id", cert["tenant"].get<std::string>()) << ": " << targets.size()
       << " key object(s) destroyed and verified gone\n";
  for (const auto& t : targets) {
    text << "  " << t.label << "  lookup=" << t.result.value("lookup_after", "")
         << "  canary=" << t.result.value("canary_decrypt_after", t.result.value("canary", ""))
         << "\n";
  }
  text << "  certificate: " << cert_path << "\n";
  if (cert["audit_event"].value("recorded", false)) {
    text << "  audit record: seq " << cert["audit_event"]["seq"] << " in "
         << cert["audit_event"].value("file", "") << "\n";
  }
  return Emit(ctx, {{"certificate", cert_path}, {"certificate_body", cert}}, text.str());
}

// Every object in the tenant's token (a key pair once: both halves share its label), each mapped
// to the external key id and version whose label it carries.
std::vector<Target> TokenTargets(const std::vector<pkcs11::KeyInfo>& listed,
                                 const std::string& health_check_key,
                                 const nlohmann::json& tenant_json) {
  std::vector<Target> targets;
  for (const auto& k : listed) {
    bool seen = false;
    for (const auto& t : targets) seen = seen || t.label == k.label;
    if (seen) continue;  // a key pair shares one label; DestroyKey removes both halves
    Target t;
    t.label = k.label;
    t.role = k.label == health_check_key ? "health-check" : "other";
    for (const auto& [id, key] : KeysOf(tenant_json).items()) {
      if (key.contains("label") && key["label"] == k.label) {
        t.external_key_id = id;
        t.version = 1;
        t.role = "tenant-key";
      }
      for (const auto& v : key.value("versions", nlohmann::json::array())) {
        if (v.value("label", "") == k.label) {
          t.external_key_id = id;
          t.version = v.value("version", 0);
          t.role = "tenant-key";
        }
      }
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

// Configured keys the token no longer holds are still listed so the certificate is complete.
void AddConfiguredKeysNotInToken(std::vector<Target>& targets, const nlohmann::json& tenant_json) {
  for (const auto& [id, key] : KeysOf(tenant_json).items()) {
    std::vector<std::pair<int, std::string>> labels;
    if (key.contains("label")) labels.emplace_back(1, key["label"].get<std::string>());
    for (const auto& v : key.value("versions", nlohmann::json::array())) {
      labels.emplace_back(v.value("version", 0), v.value("label", ""));
    }
    for (const auto& [version, label] : labels) {
      bool seen = false;
      for (const auto& t : targets) seen = seen || t.label == label;
      if (!seen) targets.push_back({label, id, version, "tenant-key", std::nullopt, {}});
    }
  }
}

// Removes tenant `index` and its token entry from the configuration document (not yet saved).
void EraseTenantAndToken(nlohmann::json& doc, std::size_t index, const std::string& token_id) {
  doc["tenants"].erase(index);
  auto& tokens = doc["hsm"]["tokens"];
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].value("id", "") == token_id) {
      tokens.erase(i);
      break;
    }
  }
}

// The tenant's SigV4 secrets are worthless once it is shredded; removes them (and their KMS
// console files) so they cannot be misused. Returns the removed paths.
nlohmann::json RemoveCredentialFiles(const nlohmann::json& tenant_json,
                                     const std::string& base_dir) {
  nlohmann::json removed_files = nlohmann::json::array();
  for (const auto& c : tenant_json.value("credentials", nlohmann::json::array())) {
    if (!c.contains("secret") || !c["secret"].contains("file")) continue;
    std::string secret = ResolvePath(base_dir, c["secret"]["file"].get<std::string>());
    std::error_code ec;
    if (std::filesystem::remove(secret, ec)) removed_files.push_back(secret);
    if (secret.ends_with(".secret")) {
      std::string console = secret.substr(0, secret.size() - 7) + ".kms-console.json";
      if (std::filesystem::remove(console, ec)) removed_files.push_back(console);
    }
  }
  return removed_files;
}

std::string CertificatePath(const ParsedArgs& args, const ConfigStore& store,
                            const std::string& what) {
  if (auto p = args.Get("certificate")) return std::filesystem::absolute(*p).string();
  return store.BaseDir() + "/erasure-certificates/" + what + "-" + CompactTime() + ".json";
}

}  // namespace

void ConfirmDestroy(const ParsedArgs& args, const std::string& name, const std::string& what) {
  std::string typed;
  if (auto given = args.Get("yes-destroy")) {
    typed = *given;
  } else {
    typed = ReadConfirmationFromTty("This destroys every key of " + what + " " + name +
                                    " for ever; data encrypted under them becomes unrecoverable.\n"
                                    "Type the " +
                                    what + " name to confirm: ");
  }
  if (typed != name) {
    throw OperationError("refused: the confirmation '" + typed + "' does not match " + what +
                         " name '" + name + "'; nothing was changed");
  }
}

int ShredTenant(Context& ctx, const ParsedArgs& args, const std::string& tenant) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& doc = store->doc();
  std::size_t index = 0;
  try {
    index = store->TenantIndex(tenant);
  } catch (const OperationError&) {
    throw OperationError("tenant " + tenant + " does not exist / was already shredded (not in " +
                         store->path() + ")");
  }
  ConfirmDestroy(args, tenant, "tenant");
  const std::string started = NowUtc();
  const nlohmann::json tenant_json = doc["tenants"][index];
  const std::string base_dir = store->BaseDir();
  const nlohmann::json audit =
      ResolvedAudit(doc.value("audit", nlohmann::json::object()), base_dir);
  TenantHsm hsm = OpenTenantHsm(doc, tenant_json, base_dir);
  const std::string serial = hsm.client->token_serial();
  const std::string token_label = hsm.client->token_label();

  auto listed = hsm.client->ListKeys(AdminDeadline());
  if (!listed.ok()) ThrowHsm("cannot list the token's keys", listed.error());
  std::vector<Target> targets = TokenTargets(listed.value(), hsm.health_check_key, tenant_json);
  AddConfiguredKeysNotInToken(targets, tenant_json);

  const std::string cert_path = CertificatePath(args, *store, "tenant-" + tenant);
  nlohmann::json reload;
  nlohmann::json removed_files = nlohmann::json::array();
  auto remove_from_config = [&] {
    EraseTenantAndToken(doc, index, tenant_json.value("token", ""));
    reload = SaveThenReload(ctx, *store);
    removed_files = RemoveCredentialFiles(tenant_json, base_dir);
  };
  bool all_gone = DestroyWithProof(hsm, targets, remove_from_config);
  nlohmann::json cert = {
      {"type", "xks-erasure-certificate"},
      {"format", 1},
      {"scope", "tenant"},
      {"tenant", tenant},
      {"path_prefix", tenant_json.value("path_prefix", "")},
      {"config", store->path()},
      {"token",
       {{"id", hsm.token_id}, {"token", hsm.token}, {"label", token_label}, {"serial", serial}}},
      {"started_at", started},
      {"config_removed", true},
      {"reload", reload},
      {"credential_files_removed", removed_files}};
  return FinishShred(ctx, std::move(cert), targets, all_gone, audit, base_dir, cert_path);
}

int ShredKey(Context& ctx, const ParsedArgs& args, const std::string& tenant,
             const std::string& key_id) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  nlohmann::json& doc = store->doc();
  nlohmann::json& t = store->Tenant(tenant);
  if (!t.contains("keys") || !t["keys"].contains(key_id)) {
    throw OperationError("key " + key_id + " of tenant " + tenant +
                         " does not exist / was already shredded");
  }
  ConfirmDestroy(args, key_id, "key");
  const std::string started = NowUtc();
  const std::string base_dir = store->BaseDir();
  const nlohmann::json audit =
      ResolvedAudit(doc.value("audit", nlohmann::json::object()), base_dir);
  const nlohmann::json key = t["keys"][key_id];
  std::vector<Target> targets;
  if (key.contains("label")) targets.push_back({key["label"], key_id, 1, "tenant-key", {}, {}});
  for (const auto& v : key.value("versions", nlohmann::json::array())) {
    targets.push_back({v.value("label", ""), key_id, v.value("version", 0), "tenant-key", {}, {}});
  }
  TenantHsm hsm = OpenTenantHsm(doc, t, base_dir);
  const std::string serial = hsm.client->token_serial();
  const std::string cert_path = CertificatePath(args, *store, "key-" + tenant + "-" + key_id);
  nlohmann::json reload;
  bool all_gone = DestroyWithProof(hsm, targets, [&] {
    store->Tenant(tenant)["keys"].erase(key_id);
    reload = SaveThenReload(ctx, *store);
  });
  nlohmann::json cert = {
      {"type", "xks-erasure-certificate"},
      {"format", 1},
      {"scope", "key"},
      {"tenant", tenant},
      {"external_key_id", key_id},
      {"config", store->path()},
      {"token", {{"id", hsm.token_id}, {"token", hsm.token}, {"serial", serial}}},
      {"started_at", started},
      {"config_removed", true},
      {"reload", reload}};
  return FinishShred(ctx, std::move(cert), targets, all_gone, audit, base_dir, cert_path);
}

}  // namespace xks::xksctl
