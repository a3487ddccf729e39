#include <map>
#include <set>

#include "proxy/config/config_policy.h"
#include "proxy/config/config_secret_refs.h"
#include "proxy/config/config_sections.h"

namespace xks::config::parsing {
namespace {

// The object label a key reference names, for comparing "k1" with "pkcs11:object=k1".
std::string ObjectLabel(std::string_view label) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (label.substr(0, kScheme.size()) != kScheme) return std::string(label);
  std::string_view rest = label.substr(kScheme.size());
  while (!rest.empty()) {
    std::size_t end = rest.find_first_of(";?");
    std::string_view attr = rest.substr(0, end);
    if (attr.substr(0, 7) == "object=") return std::string(attr.substr(7));
    if (end == std::string_view::npos || rest[end] == '?') break;
    rest = rest.substr(end + 1);
  }
  return std::string(label);
}

std::optional<KeyConfig> ParseKey(const std::string& key_id, const json& k, const std::string& kp,
                                  Checker& c) {
  KeyConfig key;
  key.external_key_id = key_id;
  if (!IsValidExternalKeyId(key_id)) {
    c.Add(kp, "invalid externalKeyId — use 1..128 characters of A-Z a-z 0-9 - . _");
  }
  if (!k.is_object()) {
    c.Add(kp, R"(must be an object like {"label": "hsm-key-label"})");
    return std::nullopt;
  }
  c.CheckKnown(k, kp, {"label", "versions", "disabled"});
  if (auto v = c.Bool(k, "disabled", kp)) key.disabled = *v;
  const bool has_label = k.contains("label"), has_versions = k.contains("versions");
  if (has_label && has_versions) {
    c.Add(kp, "give either label or versions, not both");
    return std::nullopt;
  }
  auto check_label = [&](const std::string& path, const std::string& label) {
    if (label.empty() || label.size() > 1024) {
      c.Add(path, "must be 1..1024 characters — give the HSM key label or a pkcs11: URI");
      return false;
    }
    return true;
  };
  if (!has_versions) {
    auto label = c.String(k, "label", kp, true, "give the HSM key label or a pkcs11: URI");
    if (!label || !check_label(Join(kp, "label"), *label)) return std::nullopt;
    key.versions.push_back({1, *label, false});
    return key;
  }
  const json* versions = c.Array(k, "versions", kp, true);
  if (versions == nullptr) return std::nullopt;
  if (versions->empty()) {
    c.Add(Join(kp, "versions"), "empty — add at least one {version, label}");
    return std::nullopt;
  }
  std::set<std::uint64_t> seen;
  bool any_active = false, ok = true;
  for (std::size_t i = 0; i < versions->size(); ++i) {
    const std::string vp = Index(Join(kp, "versions"), i);
    const json& v = (*versions)[i];
    if (!v.is_object()) {
      c.Add(vp, R"(must be an object like {"version": 1, "label": "k-v1"})");
      ok = false;
      continue;
    }
    c.CheckKnown(v, vp, {"version", "label", "retired"});
    KeyVersionConfig kv;
    auto num = c.Uint(v, "version", vp, 1, 65535, true);
    auto label = c.String(v, "label", vp, true, "give the HSM key label or a pkcs11: URI");
    if (auto r = c.Bool(v, "retired", vp)) kv.retired = *r;
    if (!num || !label || !check_label(Join(vp, "label"), *label)) {
      ok = false;
      continue;
    }
    if (!seen.insert(*num).second) {
      c.Add(Join(vp, "version"), "duplicate version " + std::to_string(*num) +
                                     " — each version of a key needs its own number");
      ok = false;
      continue;
    }
    kv.version = static_cast<std::uint16_t>(*num);
    kv.label = *label;
    any_active = any_active || !kv.retired;
    key.versions.push_back(std::move(kv));
  }
  if (ok && !any_active) {
    c.Add(Join(kp, "versions"), "every version is retired — keep one version with retired: false");
    ok = false;
  }
  if (!ok) return std::nullopt;
  std::sort(key.versions.begin(), key.versions.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return key;
}

// What earlier tenants already claimed (value: the JSON path of the claimant), so a second claim
// names the first one.
struct TenantClaims {
  std::map<std::string, std::string> names, prefixes, token_users, access_keys;
};

// One fleet member at `path`: an hsm.tokens id that no other tenant (and no other member) uses.
void ClaimTenantToken(const std::string& id, const std::string& path, const std::string& tp,
                      const Config& cfg, std::map<std::string, std::string>& token_users,
                      TenantConfig& tc, Checker& c) {
  if (cfg.hsm.FindToken(id) == nullptr) {
    c.Add(path, "no token with id " + id + " — use an id from hsm.tokens");
  } else if (auto [it, fresh] = token_users.emplace(id, tp); !fresh) {
    c.Add(path, it->second == tp ? "token " + id + " is listed twice — name each member once"
                                 : "token " + id + " is already used by " + it->second +
                                       " — tenants may not share a token (isolation); give "
                                       "this tenant its own token");
  }
  tc.tokens.push_back(id);
}

// "token": one token, or "tokens": the members of a fleet holding the same key material.
void ParseTenantTokens(const json& t, const std::string& tp, const Config& cfg,
                       std::map<std::string, std::string>& token_users, TenantConfig& tc,
                       Checker& c) {
  const bool has_token = t.contains("token"), has_tokens = t.contains("tokens");
  if (has_token && has_tokens) {
    c.Add(tp, "give either token (one HSM token) or tokens (a fleet), not both");
    return;
  }
  if (!has_tokens) {
    if (auto v = c.String(t, "token", tp, true, "give the id of an hsm.tokens entry")) {
      ClaimTenantToken(*v, Join(tp, "token"), tp, cfg, token_users, tc, c);
    }
    return;
  }
  const json* members = c.Array(t, "tokens", tp, true);
  if (members == nullptr) return;
  if (members->empty() || members->size() > kMaxFleetMembers) {
    c.Add(Join(tp, "tokens"), "must list 1.." + std::to_string(kMaxFleetMembers) +
                                  " hsm.tokens ids holding the same keys");
    return;
  }
  for (std::size_t i = 0; i < members->size(); ++i) {
    const std::string mp = Index(Join(tp, "tokens"), i);
    const json& member = (*members)[i];
    if (!member.is_string()) {
      c.Add(mp, "must be the id of an hsm.tokens entry (a string)");
      continue;
    }
    ClaimTenantToken(member.get<std::string>(), mp, tp, cfg, token_users, tc, c);
  }
}

// name, path_prefix and token: each unique across tenants; the token must exist in hsm.tokens.
void ParseTenantIdentity(const json& t, const std::string& tp, const Config& cfg,
                         TenantClaims& claims, TenantConfig& tc, Checker& c) {
  auto& names = claims.names;
  auto& prefixes = claims.prefixes;
  auto& token_users = claims.token_users;
  if (auto v = c.String(t, "name", tp, true, "give a unique tenant name, e.g. acme")) {
    if (!IsValidId(*v)) {
      c.Add(Join(tp, "name"), "must be 1..64 of A-Z a-z 0-9 . - _");
    } else if (auto [it, fresh] = names.emplace(*v, tp); !fresh) {
      c.Add(Join(tp, "name"), "duplicate tenant name " + *v + " (also " + it->second + ")");
    }
    tc.name = *v;
  }
  if (auto v = c.String(t, "path_prefix", tp, true,
                        "give \"\" or a prefix like /tenants/acme (no trailing /)")) {
    if (!IsValidPathPrefix(*v)) {
      c.Add(Join(tp, "path_prefix"),
            "invalid — use \"\" or '/' followed by segments of a-z A-Z 0-9 - _ separated by "
            "single '/', no trailing '/', not containing kms/xks/v1, at most " +
                std::to_string(kMaxPathPrefixTotal - kXksApiPath.size()) + " characters");
    } else if (auto [it, fresh] = prefixes.emplace(*v, tp); !fresh) {
      c.Add(Join(tp, "path_prefix"),
            "already used by " + it->second + " — every tenant needs its own prefix");
    }
    tc.path_prefix = *v;
  }
  ParseTenantTokens(t, tp, cfg, token_users, tc, c);
}

// One credentials entry; only a fully valid credential (id and readable, valid secret) is kept.
std::optional<CredentialConfig> ParseCredential(const json& cr, const std::string& cp,
                                                std::string_view base_dir,
                                                std::map<std::string, std::string>& access_keys,
                                                Checker& c) {
  CredentialConfig cc;
  bool ok = true;
  if (auto v =
          c.String(cr, "access_key_id", cp, true, "give a 20-30 character id of A-Z and 2-7")) {
    if (!IsValidAccessKeyId(*v)) {
      c.Add(Join(cp, "access_key_id"),
            "must be 20..30 characters of A-Z and 2-7 (XKS spec, Appendix A)");
      ok = false;
    } else if (auto [it, fresh] = access_keys.emplace(*v, cp); !fresh) {
      c.Add(Join(cp, "access_key_id"),
            "already used by " + it->second +
                " — an access key id must identify exactly one secret and one tenant");
      ok = false;
    }
    cc.access_key_id = *v;
  } else {
    ok = false;
  }
  auto ref = ParseSecretRef(cr, "secret", cp, base_dir, c);
  if (ref) {
    auto secret = ReadSecret(*ref, Join(cp, "secret"), c);
    if (secret && !IsValidSecretAccessKey(secret->view())) {
      // Only the length is reported: the secret itself never reaches a message.
      c.Add(Join(cp, "secret"), "the secret read from " + ref->Describe() + " has " +
                                    std::to_string(secret->size()) +
                                    " characters; it must be 43..64 characters of "
                                    "A-Z a-z 0-9 + / = (e.g. openssl rand -base64 32)");
      ok = false;
    } else if (secret) {
      cc.secret_ref = *ref;
      cc.secret = std::move(*secret);
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return cc;
}

void ParseCredentials(const json& t, const std::string& tp, std::string_view base_dir,
                      std::map<std::string, std::string>& access_keys, TenantConfig& tc,
                      Checker& c) {
  if (const json* creds = c.Array(t, "credentials", tp, true)) {
    if (creds->empty()) {
      c.Add(Join(tp, "credentials"), "empty — add at least one {access_key_id, secret}");
    }
    for (std::size_t j = 0; j < creds->size(); ++j) {
      const std::string cp = Index(Join(tp, "credentials"), j);
      const json& cr = (*creds)[j];
      if (!cr.is_object()) {
        c.Add(cp, "must be a JSON object");
        continue;
      }
      c.CheckKnown(cr, cp, {"access_key_id", "secret"});
      if (auto cc = ParseCredential(cr, cp, base_dir, access_keys, c)) {
        tc.credentials.push_back(std::move(*cc));
      }
    }
  }
}

// Prefixes are compared exactly by the router; a prefix that contained another prefix's API
// path could still make one request match two tenants, which IsValidPathPrefix already excludes
// by refusing "kms/xks/v1" inside a prefix. Isolation: the health-check key of a token must
// never be reachable as a tenant key.
void CheckHealthCheckKeysUnmapped(const Config& cfg, const std::string& p, Checker& c) {
  for (std::size_t i = 0; i < cfg.tenants.size(); ++i) {
    const TenantConfig& tc = cfg.tenants[i];
    for (const std::string& member : tc.tokens) {
      const TokenConfig* token = cfg.hsm.FindToken(member);
      if (token == nullptr || token->health_check_key.empty()) continue;
      const std::string hc = ObjectLabel(token->health_check_key);
      for (const KeyConfig& key : tc.keys) {
        for (const KeyVersionConfig& version : key.versions) {
          if (ObjectLabel(version.label) == hc) {
            c.Add(Join(Join(Index(p, i), "keys"), key.external_key_id),
                  "maps the health-check key " + token->health_check_key + " of token " +
                      token->id + " — use a dedicated key for health checks");
          }
        }
      }
    }
  }
}

}  // namespace

void ParseTenants(const json& ts, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "tenants";
  // No tenants is a valid (if idle) proxy: it is what remains after the last tenant is
  // crypto-shredded, and refusing it would keep the shredded tenant's configuration in force.
  TenantClaims claims;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const std::string tp = Index(p, i);
    const json& t = ts[i];
    if (!t.is_object()) {
      c.Add(tp, "must be a JSON object");
      continue;
    }
    c.CheckKnown(t, tp,
                 {"name", "path_prefix", "token", "tokens", "disabled", "credentials", "keys",
                  "quota", "policy"});
    TenantConfig tc;
    ParseTenantIdentity(t, tp, cfg, claims, tc, c);
    if (auto v = c.Bool(t, "disabled", tp)) tc.disabled = *v;
    ParseCredentials(t, tp, base_dir, claims.access_keys, tc, c);
    if (const json* keys = c.Object(t, "keys", tp, true)) {
      for (const auto& [key_id, k] : keys->items()) {
        if (auto key = ParseKey(key_id, k, Join(Join(tp, "keys"), key_id), c)) {
          tc.keys.push_back(std::move(*key));
        }
      }
    }
    ParseTenantQuota(t, tp, tc, c);
    tc.policy = ParseTenantPolicy(t, tp, c);
    cfg.tenants.push_back(std::move(tc));
  }
  CheckHealthCheckKeysUnmapped(cfg, p, c);
}

}  // namespace xks::config::parsing
