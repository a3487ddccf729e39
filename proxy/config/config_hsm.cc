#include <sys/stat.h>

#include <set>

#include "proxy/config/config_secret_refs.h"
#include "proxy/config/config_sections.h"

namespace xks::config::parsing {
namespace {

// One hsm.modules entry; module ids are collected for the token entries.
void ParseModule(const json& m, const std::string& mp, std::string_view base_dir,
                 std::set<std::string>& module_ids, Config& cfg, Checker& c) {
  ModuleConfig mc;
  if (auto v = c.String(m, "id", mp, true, "give a short module id, e.g. softhsm")) {
    if (!IsValidId(*v)) {
      c.Add(Join(mp, "id"), "must be 1..64 of A-Z a-z 0-9 . - _");
    } else if (!module_ids.insert(*v).second) {
      c.Add(Join(mp, "id"), "duplicate module id " + *v + " — give each module its own id");
    }
    mc.id = *v;
  }
  if (auto v = c.String(m, "module", mp, true,
                        "give the module file path or a p11-kit module name like softhsm2")) {
    if (v->empty()) {
      c.Add(Join(mp, "module"), "empty — give a file path or a p11-kit module name");
    } else if (v->find('/') != std::string::npos) {
      mc.module = Resolve(base_dir, *v);
      struct stat st {};
      if (::stat(mc.module.c_str(), &st) != 0) {
        c.Add(Join(mp, "module"), "file " + mc.module +
                                      " does not exist — install the module "
                                      "or use its p11-kit name");
      }
    } else {
      mc.module = *v;
    }
  }
  if (auto v = c.Bool(m, "generate_iv_in_hsm", mp)) mc.generate_iv_in_hsm = *v;
  if (auto v = c.String(m, "initialize_parameters", mp, false)) {
    if (v->find('\0') != std::string::npos) {
      c.Add(Join(mp, "initialize_parameters"), "must not contain a NUL character");
    }
    mc.initialize_parameters = *v;
  }
  // A module file is initialized once per process (a second C_Initialize answers
  // CKR_CRYPTOKI_ALREADY_INITIALIZED and keeps the first parameters), so two entries for one
  // file cannot differ in them.
  for (const auto& other : cfg.hsm.modules) {
    if (!mc.module.empty() && other.module == mc.module &&
        other.initialize_parameters != mc.initialize_parameters) {
      c.Add(Join(mp, "initialize_parameters"), "differs from module " + other.id +
                                                   ", which loads the same file — a module is " +
                                                   "initialized once per process: use one entry");
    }
  }
  cfg.hsm.modules.push_back(std::move(mc));
}

// One hsm.tokens entry; it must name a module parsed before it.
void ParseToken(const json& t, const std::string& tp, std::string_view base_dir,
                const std::set<std::string>& module_ids, std::set<std::string>& token_ids,
                Config& cfg, Checker& c) {
  TokenConfig tc;
  if (auto v = c.String(t, "id", tp, true, "give a short token id, e.g. acme-token")) {
    if (!IsValidId(*v)) {
      c.Add(Join(tp, "id"), "must be 1..64 of A-Z a-z 0-9 . - _");
    } else if (!token_ids.insert(*v).second) {
      c.Add(Join(tp, "id"), "duplicate token id " + *v + " — give each token its own id");
    }
    tc.id = *v;
  }
  if (auto v = c.String(t, "module", tp, true, "give the id of an hsm.modules entry")) {
    if (!module_ids.count(*v)) {
      c.Add(Join(tp, "module"), "no module with id " + *v + " — use an id from hsm.modules");
    }
    tc.module_id = *v;
  }
  if (auto v = c.String(t, "token", tp, true, "give the token label or a pkcs11:token=... URI")) {
    if (v->empty()) c.Add(Join(tp, "token"), "empty — give the token label or a pkcs11: URI");
    tc.token = *v;
  }
  if (auto ref = ParseSecretRef(t, "pin", tp, base_dir, c)) tc.pin = *ref;
  if (auto v = c.Uint(t, "max_sessions", tp, 1, 1024)) tc.max_sessions = *v;
  if (auto v = c.Uint(t, "max_stuck_calls", tp, 1, 1024)) tc.max_stuck_calls = *v;
  if (auto v = c.Uint(t, "queue_limit", tp, 1, 1000000)) tc.queue_limit = *v;
  if (auto v = c.String(t, "health_check_key", tp, true,
                        "give the label of a dedicated AES-256 key for health checks")) {
    if (v->empty()) c.Add(Join(tp, "health_check_key"), "empty — give a key label");
    tc.health_check_key = *v;
  }
  if (auto v = c.Bool(t, "copy_keys_to_session_objects", tp)) {
    tc.copy_keys_to_session_objects = *v;
  }
  cfg.hsm.tokens.push_back(std::move(tc));
}

}  // namespace

void ParseHsm(const json& h, std::string_view base_dir, Config& cfg, Checker& c) {
  const std::string p = "hsm";
  c.CheckKnown(h, p, {"modules", "tokens"});
  std::set<std::string> module_ids;
  if (const json* mods = c.Array(h, "modules", p, true)) {
    for (std::size_t i = 0; i < mods->size(); ++i) {
      const std::string mp = Index(Join(p, "modules"), i);
      const json& m = (*mods)[i];
      if (!m.is_object()) {
        c.Add(mp, "must be a JSON object");
        continue;
      }
      c.CheckKnown(m, mp, {"id", "module", "generate_iv_in_hsm", "initialize_parameters"});
      ParseModule(m, mp, base_dir, module_ids, cfg, c);
    }
  }
  std::set<std::string> token_ids;
  if (const json* toks = c.Array(h, "tokens", p, true)) {
    for (std::size_t i = 0; i < toks->size(); ++i) {
      const std::string tp = Index(Join(p, "tokens"), i);
      const json& t = (*toks)[i];
      if (!t.is_object()) {
        c.Add(tp, "must be a JSON object");
        continue;
      }
      c.CheckKnown(t, tp,
                   {"id", "module", "token", "pin", "max_sessions", "max_stuck_calls",
                    "queue_limit", "health_check_key", "copy_keys_to_session_objects"});
      ParseToken(t, tp, base_dir, module_ids, token_ids, cfg, c);
    }
  }
}

}  // namespace xks::config::parsing
