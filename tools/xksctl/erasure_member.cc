#include "tools/xksctl/erasure_member.h"

#include <span>

#include "tools/xksctl/cli.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

constexpr std::string_view kCanaryAad = "xksctl erasure canary";

std::span<const std::uint8_t> CanaryAad() {
  return {reinterpret_cast<const std::uint8_t*>(kCanaryAad.data()), kCanaryAad.size()};
}

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

bool HasTarget(const std::vector<ShredTarget>& targets, const std::string& label) {
  for (const auto& t : targets) {
    if (t.label == label) return true;
  }
  return false;
}

// Checks one target on the fresh session; true when it is proven gone.
bool ProveGone(pkcs11::TokenClient& fresh, const std::vector<pkcs11::KeyInfo>& listed,
               ShredTarget& t) {
  bool still_listed = false;
  for (const auto& k : listed) still_listed = still_listed || k.label == t.label;
  auto describe = fresh.DescribeKey(t.label, AdminDeadline());
  bool not_found = !describe.ok() && describe.error().kind == pkcs11::HsmErrorKind::kNotFound;
  t.result["lookup_after"] = describe.ok() ? "FOUND" : KindName(describe.error());
  t.result["listed_after"] = still_listed;
  bool gone = not_found && !still_listed;
  if (t.canary) {
    auto plain = fresh.Decrypt(t.label, t.canary->iv, t.canary->ciphertext, t.canary->tag,
                               CanaryAad(), AdminDeadline());
    t.result["canary_decrypt_after"] =
        plain.ok() ? "DECRYPTED" : "failed: " + KindName(plain.error());
    gone = gone && !plain.ok();
  }
  t.result["erased"] = gone;
  return gone;
}

}  // namespace

nlohmann::json ShredMember::ToJson() const {
  nlohmann::json j = {{"id", token_id},   {"token", token},           {"label", label},
                      {"serial", serial}, {"reachable", reachable()}, {"complete", complete}};
  if (!error.empty()) j["error"] = error;
  return j;
}

std::vector<ShredMember> OpenShredMembers(const config::Config& cfg,
                                          const std::vector<std::string>& token_ids) {
  std::vector<ShredMember> members;
  for (const std::string& id : token_ids) {
    ShredMember m;
    m.token_id = id;
    for (const config::TokenConfig& t : cfg.hsm.tokens) {
      if (t.id == id) m.token = t.token;
    }
    try {
      TenantHsm hsm = OpenConfiguredToken(cfg, id, "tenants[].tokens");
      m.label = hsm.client->token_label();
      m.serial = hsm.client->token_serial();
      m.hsm = std::move(hsm);
    } catch (const OperationError& e) {
      m.error = std::string("unreachable: ") + e.what();
    }
    members.push_back(std::move(m));
  }
  return members;
}

void ListTenantTargets(ShredMember& member, const config::TenantConfig& tenant) {
  if (member.reachable()) {
    auto listed = member.hsm->client->ListKeys(AdminDeadline());
    if (!listed.ok()) {
      member.error = "cannot list the token's keys: " + listed.error().ToLogString();
    } else {
      for (const auto& k : listed.value()) {
        if (HasTarget(member.targets, k.label)) continue;  // a key pair shares one label
        ShredTarget t;
        t.label = k.label;
        t.role = k.label == member.hsm->health_check_key ? "health-check" : "other";
        for (const config::KeyConfig& key : tenant.keys) {
          for (const config::KeyVersionConfig& v : key.versions) {
            if (v.label != k.label) continue;
            t.external_key_id = key.external_key_id;
            t.version = v.version;
            t.role = "tenant-key";
          }
        }
        member.targets.push_back(std::move(t));
      }
    }
  }
  // Configured keys the token does not hold (or that could not be listed) are listed too, so
  // the certificate is complete.
  for (const config::KeyConfig& key : tenant.keys) {
    for (const config::KeyVersionConfig& v : key.versions) {
      if (!HasTarget(member.targets, v.label)) {
        member.targets.push_back(
            {v.label, key.external_key_id, v.version, "tenant-key", std::nullopt, {}});
      }
    }
  }
}

void MakeCanaries(ShredMember& member) {
  if (!member.reachable()) return;
  SecretBytes plaintext = RandomBytes(32);
  for (auto& t : member.targets) {
    auto info = member.hsm->client->DescribeKey(t.label, AdminDeadline());
    if (!info.ok()) {
      t.result["present_before"] = false;
      t.result["canary"] = "none: " + KindName(info.error());
      continue;
    }
    t.result["present_before"] = true;
    t.result["class"] = ClassName(info->key_class);
    if (info->key_class != pkcs11::KeyClass::kSecret || info->key_type != pkcs11::KeyType::kAes ||
        !info->usage.encrypt) {
      t.result["canary"] = "none: key cannot encrypt";
      continue;
    }
    auto sealed =
        member.hsm->client->Encrypt(t.label, plaintext.span(), CanaryAad(), AdminDeadline());
    if (sealed.ok()) {
      t.canary = std::move(sealed).value();
      t.result["canary"] = "encrypted";
    } else {
      t.result["canary"] = "none: encrypt failed: " + KindName(sealed.error());
    }
  }
}

void DestroyAndProve(ShredMember& member) {
  member.complete = false;
  if (!member.reachable()) {
    for (auto& t : member.targets) t.result["erased"] = false;
    return;
  }
  for (auto& t : member.targets) {
    auto destroyed = member.hsm->client->DestroyKey(t.label, AdminDeadline());
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
  member.hsm->client.reset();
  auto fresh = pkcs11::TokenClient::Open(member.hsm->module, member.hsm->config);
  std::optional<std::vector<pkcs11::KeyInfo>> listed;
  std::string why;
  if (!fresh.ok()) {
    why = fresh.error().ToLogString();
  } else if (auto keys = fresh.value()->ListKeys(AdminDeadline()); keys.ok()) {
    listed = std::move(keys).value();
  } else {
    why = keys.error().ToLogString();
  }
  if (!listed) {
    member.error = "keys destroyed, but the token cannot be reopened and listed to verify: " + why;
    for (auto& t : member.targets) t.result["erased"] = false;
    return;
  }
  bool all_gone = member.error.empty();
  for (auto& t : member.targets) all_gone = ProveGone(*fresh.value(), *listed, t) && all_gone;
  member.complete = all_gone;
}

}  // namespace xks::xksctl
