#include "tools/xksctl/erasure.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>
#include <vector>

#include "base/hex.h"
#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/erasure_member.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

// What a certificate cannot prove, stated in every certificate (docs/xksctl.md, "What a
// certificate does not cover", says what an operator does about each).
constexpr char kOutOfScope[] =
    "This certificate covers only the key objects on the tokens listed in \"members\", as seen "
    "through PKCS#11 by xksctl. It does not cover: HSM backups and exported backup blobs; "
    "replication or clustering done by the HSM vendor below PKCS#11 (other partitions, "
    "standby units, cloud HSM copies); tokens not listed in the configuration; key material "
    "wrapped or exported earlier (e.g. bring-your-own-key originals kept by the tenant); and "
    "ciphertext, which stays stored but undecryptable only if every copy of the key is gone.";

// Saves the configuration (a refusal aborts the shred before anything is destroyed), then signals
// the proxy. A failed signal must not stop the destruction: the keys are no longer served by the
// saved configuration, so the shred goes on and the signal's failure is in the certificate.
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
std::string NewCertificateId() {
  SecretBytes id = RandomBytes(16);
  return HexEncode(id.span());
}

bool AllComplete(const std::vector<ShredMember>& members) {
  return !members.empty() && std::all_of(members.begin(), members.end(),
                                         [](const ShredMember& m) { return m.complete; });
}

std::string UnfinishedMembers(const std::vector<ShredMember>& members) {
  std::string out;
  for (const ShredMember& m : members) {
    if (m.complete) continue;
    out += (out.empty() ? "" : "; ") + m.token_id + " (" +
           (m.error.empty() ? std::string("some key objects are still present or a canary still "
                                          "decrypts")
                            : m.error) +
           ")";
  }
  return out;
}

// Canaries on every member, then `before_destroy` (the configuration stops serving the keys
// before they disappear), then destruction and proof member by member.
void ShredMembers(std::vector<ShredMember>& members, const std::function<void()>& before_destroy) {
  for (ShredMember& m : members) MakeCanaries(m);
  before_destroy();
  for (ShredMember& m : members) DestroyAndProve(m);
}

// Writes the certificate (signature included).
void WriteCertificate(nlohmann::json& cert, const config::Config& config, const std::string& path) {
  cert["signature"] = SignWithAuditKey(config, cert);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  WriteFileAtomic(path, cert.dump(2) + "\n", 0644);
}

// Shared by tenant and key shred: the members and keys into the certificate, the audit record,
// the signed certificate, the output. Throws OperationError (exit 1) when a member is not done.
int FinishShred(Context& ctx, nlohmann::json cert, const std::vector<ShredMember>& members,
                const config::Config& config, const std::string& cert_path) {
  nlohmann::json keys = nlohmann::json::array();
  nlohmann::json member_list = nlohmann::json::array();
  for (const ShredMember& m : members) {
    member_list.push_back(m.ToJson());
    for (const ShredTarget& t : m.targets) {
      nlohmann::json k = t.result;
      k["member"] = m.token_id;
      k["label"] = t.label;
      k["role"] = t.role;
      if (!t.external_key_id.empty()) {
        k["external_key_id"] = t.external_key_id;
        k["version"] = t.version;
      }
      keys.push_back(std::move(k));
    }
  }
  const bool complete = AllComplete(members);
  cert["members"] = member_list;
  cert["keys"] = keys;
  cert["complete"] = complete;
  cert["all_erased"] = complete;
  cert["out_of_scope"] = kOutOfScope;
  cert["completed_at"] = NowUtc();
  cert["audit_event"] = RecordShredEvent(config, cert, cert_path);
  WriteCertificate(cert, config, cert_path);
  if (!complete) {
    throw OperationError("shred incomplete: " + UnfinishedMembers(members) + " — the certificate " +
                         cert_path +
                         " says \"complete\": false; fix the member and run the same shred "
                         "command again to finish it");
  }
  std::ostringstream text;
  text << "shredded " << (cert["scope"] == "tenant" ? "tenant " : "key ")
       << cert.value("external_key_id", cert["tenant"].get<std::string>()) << " on "
       << members.size() << " member(s): " << keys.size()
       << " key object(s) destroyed and verified gone\n";
  for (const ShredMember& m : members) {
    for (const ShredTarget& t : m.targets) {
      text << "  " << m.token_id << "  " << t.label
           << "  lookup=" << t.result.value("lookup_after", "")
           << "  canary=" << t.result.value("canary_decrypt_after", t.result.value("canary", ""))
           << "\n";
    }
  }
  text << "  certificate: " << cert_path << "\n";
  if (cert["audit_event"].value("recorded", false)) {
    text << "  audit record: seq " << cert["audit_event"]["seq"] << " in "
         << cert["audit_event"].value("file", "") << "\n";
  }
  text << "  verify: xksctl audit verify-erasure " << cert_path
       << " --public-key AUDIT.pem AUDIT_DIR/*.jsonl\n";
  return Emit(ctx, {{"certificate", cert_path}, {"certificate_body", cert}}, text.str());
}

// After the destruction: members proven clean leave the tenant (and hsm.tokens); when none is
// left the tenant goes, with its credentials. A member not done stays, with the tenant still
// disabled, so the same command finishes the shred later.
nlohmann::json DropFinishedMembers(config::Config& cfg, const std::string& tenant,
                                   const std::vector<ShredMember>& members, bool& tenant_removed) {
  for (const ShredMember& m : members) {
    if (!m.complete) continue;
    for (config::TenantConfig& t : cfg.tenants) {
      if (t.name == tenant) std::erase(t.tokens, m.token_id);
    }
    std::erase_if(cfg.hsm.tokens, [&](const config::TokenConfig& t) { return t.id == m.token_id; });
  }
  tenant_removed = false;
  nlohmann::json left = nlohmann::json::array();
  for (const config::TenantConfig& t : cfg.tenants) {
    if (t.name != tenant) continue;
    for (const std::string& id : t.tokens) left.push_back(id);
    tenant_removed = t.tokens.empty();
  }
  if (tenant_removed) {
    std::erase_if(cfg.tenants, [&](const config::TenantConfig& t) { return t.name == tenant; });
  }
  return left;
}

const config::TenantConfig* FindTenant(const config::Config& cfg, const std::string& name) {
  for (const config::TenantConfig& t : cfg.tenants) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

nlohmann::json CertificateHead(const std::string& scope, const std::string& tenant,
                               const ConfigStore& store, const std::string& started) {
  return {{"type", "xks-erasure-certificate"},
          {"format", 2},
          {"certificate_id", NewCertificateId()},
          {"scope", scope},
          {"tenant", tenant},
          {"config", store.path()},
          {"started_at", started}};
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
  const config::TenantConfig* found = FindTenant(store->config(), tenant);
  if (found == nullptr) {
    throw OperationError("tenant " + tenant + " does not exist / was already shredded (not in " +
                         store->path() + ")");
  }
  ConfirmDestroy(args, tenant, "tenant");
  nlohmann::json cert = CertificateHead("tenant", tenant, *store, NowUtc());
  cert["path_prefix"] = found->path_prefix;
  std::vector<config::SecretRef> secrets;
  for (const config::CredentialConfig& c : found->credentials) secrets.push_back(c.secret_ref);
  // The audit signer's token is never a tenant's, so it stays configured whatever is removed.
  const config::Config& config = store->config();
  std::vector<ShredMember> members = OpenShredMembers(store->config(), found->tokens);
  for (ShredMember& m : members) ListTenantTargets(m, *found);
  const std::string cert_path = CertificatePath(args, *store, "tenant-" + tenant);
  nlohmann::json reload;
  ShredMembers(members, [&] {
    // Disabled, the tenant is refused by the proxy before any key is touched; it leaves the
    // configuration only once every member is proven clean.
    store->Tenant(tenant).disabled = true;
    reload = SaveThenReload(ctx, *store);
  });
  bool removed = false;
  nlohmann::json left = DropFinishedMembers(store->config(), tenant, members, removed);
  nlohmann::json final_reload = SaveThenReload(ctx, *store);
  cert["reload"] = {{"before_destroy", reload}, {"after", final_reload}};
  cert["config_removed"] = removed;
  cert["members_left_in_config"] = left;
  cert["credential_files_removed"] =
      removed ? RemoveCredentialFiles(secrets) : nlohmann::json::array();
  return FinishShred(ctx, std::move(cert), members, config, cert_path);
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
  ConfirmDestroy(args, key_id, "key");
  nlohmann::json cert = CertificateHead("key", tenant, *store, NowUtc());
  cert["external_key_id"] = key_id;
  // The audit signer's token is never a tenant's, so it stays configured whatever is removed.
  const config::Config& config = store->config();
  std::vector<ShredMember> members = OpenShredMembers(store->config(), t.tokens);
  for (ShredMember& m : members) {
    for (const config::KeyVersionConfig& v : key->versions) {
      m.targets.push_back({v.label, key_id, v.version, "tenant-key", {}, {}});
    }
  }
  const std::string cert_path = CertificatePath(args, *store, "key-" + tenant + "-" + key_id);
  auto this_key = [&](const config::KeyConfig& k) { return k.external_key_id == key_id; };
  nlohmann::json reload;
  ShredMembers(members, [&] {
    auto& keys = store->Tenant(tenant).keys;
    std::find_if(keys.begin(), keys.end(), this_key)->disabled = true;
    reload = SaveThenReload(ctx, *store);
  });
  // A key not erased on every member stays configured (disabled), so a re-run can finish it.
  const bool complete = AllComplete(members);
  if (complete) std::erase_if(store->Tenant(tenant).keys, this_key);
  cert["reload"] = {{"before_destroy", reload}, {"after", SaveThenReload(ctx, *store)}};
  cert["config_removed"] = complete;
  return FinishShred(ctx, std::move(cert), members, config, cert_path);
}

}  // namespace xks::xksctl
