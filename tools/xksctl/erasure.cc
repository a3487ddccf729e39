#include "tools/xksctl/erasure.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/secrets.h"
#include "tools/xksctl/token_entries.h"

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
    return SignalReload(ctx, &store);
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
std::string WriteCertificate(nlohmann::json& cert, const config::AuditConfig& audit,
                             const std::string& path) {
  cert["signature"] = SignWithAuditKey(audit, cert);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  WriteFileAtomic(path, cert.dump(2) + "\n", 0644);
  return path;
}

// Shared by tenant and key shred: certificate, audit record, output.
int FinishShred(Context& ctx, nlohmann::json cert, const std::vector<Target>& targets,
                bool all_gone, const config::AuditConfig& audit, const std::string& cert_path) {
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
  WriteCertificate(cert, audit, cert_path);
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
                                 const config::TenantConfig& tenant) {
  std::vector<Target> targets;
  for (const auto& k : listed) {
    bool seen = false;
    for (const auto& t : targets) seen = seen || t.label == k.label;
    if (seen) continue;  // a key pair shares one label; DestroyKey removes both halves
    Target t;
    t.label = k.label;
    t.role = k.label == health_check_key ? "health-check" : "other";
    for (const config::KeyConfig& key : tenant.keys) {
      for (const config::KeyVersionConfig& v : key.versions) {
        if (v.label == k.label) {
          t.external_key_id = key.external_key_id;
          t.version = v.version;
          t.role = "tenant-key";
        }
      }
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

// Configured keys the token no longer holds are still listed so the certificate is complete.
void AddConfiguredKeysNotInToken(std::vector<Target>& targets, const config::TenantConfig& tenant) {
  for (const config::KeyConfig& key : tenant.keys) {
    for (const config::KeyVersionConfig& v : key.versions) {
      bool seen = false;
      for (const auto& t : targets) seen = seen || t.label == v.label;
      if (!seen) {
        targets.push_back(
            {v.label, key.external_key_id, v.version, "tenant-key", std::nullopt, {}});
      }
    }
  }
}

// Removes the tenant and its token entry from the configuration (not yet saved).
void EraseTenantAndToken(config::Config& cfg, const std::string& tenant,
                         const std::string& token_id) {
  std::erase_if(cfg.tenants, [&](const config::TenantConfig& t) { return t.name == tenant; });
  std::erase_if(cfg.hsm.tokens, [&](const config::TokenConfig& t) { return t.id == token_id; });
}

// The tenant's SigV4 secrets are worthless once it is shredded; removes them (and their KMS
// console files) so they cannot be misused. Returns the removed paths.
nlohmann::json RemoveCredentialFiles(const std::vector<config::SecretRef>& secrets) {
  nlohmann::json removed_files = nlohmann::json::array();
  for (const config::SecretRef& ref : secrets) {
    if (ref.kind != config::SecretRef::Kind::kFile) continue;
    const std::string& secret = ref.where;
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

// An erasure certificate proves the destruction on one token. On a fleet of several, the other
// members would keep the key material (unless the vendor's replication deletes it, which xksctl
// cannot prove), so a certificate for the first member alone would be false.
void RefuseFleetErasure(const config::TenantConfig& tenant) {
  if (tenant.tokens.size() < 2) return;
  throw OperationError("tenant " + tenant.name + " is served by a fleet of " +
                       std::to_string(tenant.tokens.size()) + " tokens (" +
                       JoinTokenIds(tenant, ", ") +
                       "); xksctl can prove erasure on one token only — remove the other "
                       "members first (xksctl fleet remove), destroy their key material "
                       "with the HSM vendor's tools, then shred");
}

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
  const config::TenantConfig* found = nullptr;
  for (const config::TenantConfig& t : store->config().tenants) {
    if (t.name == tenant) found = &t;
  }
  if (found == nullptr) {
    throw OperationError("tenant " + tenant + " does not exist / was already shredded (not in " +
                         store->path() + ")");
  }
  RefuseFleetErasure(*found);
  ConfirmDestroy(args, tenant, "tenant");
  const std::string started = NowUtc();
  // Copied: the entry leaves the configuration before the certificate is written.
  const std::string path_prefix = found->path_prefix, token_id = found->primary_token();
  std::vector<config::SecretRef> secrets;
  for (const config::CredentialConfig& c : found->credentials) secrets.push_back(c.secret_ref);
  const config::AuditConfig audit = store->config().audit;
  TenantHsm hsm = OpenTenantHsm(store->config(), *found);
  const std::string serial = hsm.client->token_serial();
  const std::string token_label = hsm.client->token_label();

  auto listed = hsm.client->ListKeys(AdminDeadline());
  if (!listed.ok()) ThrowHsm("cannot list the token's keys", listed.error());
  std::vector<Target> targets = TokenTargets(listed.value(), hsm.health_check_key, *found);
  AddConfiguredKeysNotInToken(targets, *found);

  const std::string cert_path = CertificatePath(args, *store, "tenant-" + tenant);
  nlohmann::json reload;
  nlohmann::json removed_files = nlohmann::json::array();
  auto remove_from_config = [&] {
    EraseTenantAndToken(store->config(), tenant, token_id);
    reload = SaveThenReload(ctx, *store);
    removed_files = RemoveCredentialFiles(secrets);
  };
  bool all_gone = DestroyWithProof(hsm, targets, remove_from_config);
  nlohmann::json cert = {
      {"type", "xks-erasure-certificate"},
      {"format", 1},
      {"scope", "tenant"},
      {"tenant", tenant},
      {"path_prefix", path_prefix},
      {"config", store->path()},
      {"token",
       {{"id", hsm.token_id}, {"token", hsm.token}, {"label", token_label}, {"serial", serial}}},
      {"started_at", started},
      {"config_removed", true},
      {"reload", reload},
      {"credential_files_removed", removed_files}};
  return FinishShred(ctx, std::move(cert), targets, all_gone, audit, cert_path);
}

int ShredKey(Context& ctx, const ParsedArgs& args, const std::string& tenant,
             const std::string& key_id) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& t = store->Tenant(tenant);
  auto key = std::find_if(t.keys.begin(), t.keys.end(),
                          [&](const config::KeyConfig& k) { return k.external_key_id == key_id; });
  if (key == t.keys.end()) {
    throw OperationError("key " + key_id + " of tenant " + tenant +
                         " does not exist / was already shredded");
  }
  RefuseFleetErasure(t);
  ConfirmDestroy(args, key_id, "key");
  const std::string started = NowUtc();
  const config::AuditConfig audit = store->config().audit;
  std::vector<Target> targets;
  for (const config::KeyVersionConfig& v : key->versions) {
    targets.push_back({v.label, key_id, v.version, "tenant-key", {}, {}});
  }
  TenantHsm hsm = OpenTenantHsm(store->config(), t);
  const std::string serial = hsm.client->token_serial();
  const std::string cert_path = CertificatePath(args, *store, "key-" + tenant + "-" + key_id);
  nlohmann::json reload;
  bool all_gone = DestroyWithProof(hsm, targets, [&] {
    std::erase_if(store->Tenant(tenant).keys,
                  [&](const config::KeyConfig& k) { return k.external_key_id == key_id; });
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
  return FinishShred(ctx, std::move(cert), targets, all_gone, audit, cert_path);
}

}  // namespace xks::xksctl
