#include "tools/xksctl/hsm_access.h"

#include "tools/xksctl/cli.h"

namespace xks::xksctl {

pkcs11::Deadline AdminDeadline() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(60);
}

void ThrowHsm(const std::string& what, const pkcs11::HsmError& error) {
  throw OperationError(what + ": " + std::string(pkcs11::HsmErrorKindName(error.kind)) + ": " +
                       error.ToLogString());
}

std::shared_ptr<pkcs11::Module> OpenModuleOrThrow(const std::string& module,
                                                  bool generate_iv_in_hsm,
                                                  const std::string& initialize_parameters) {
  pkcs11::ModuleConfig config;
  config.module = module;
  config.hsm_generates_gcm_iv = generate_iv_in_hsm;
  config.initialize_parameters = initialize_parameters;
  auto m = pkcs11::OpenModule(config);
  if (!m.ok()) ThrowHsm("cannot load PKCS#11 module " + module, m.error());
  return std::move(m).value();
}

TenantHsm OpenTenantHsm(const config::Config& cfg, const config::TenantConfig& tenant) {
  return OpenConfiguredToken(cfg, tenant.primary_token(), "tenant " + tenant.name);
}

TenantHsm OpenConfiguredToken(const config::Config& cfg, const std::string& token_id,
                              const std::string& named_by) {
  // A validated configuration has both entries; the checks keep the message clear regardless.
  const config::TokenConfig* token = cfg.hsm.FindToken(token_id);
  if (token == nullptr) {
    throw OperationError(named_by + " names token " + token_id +
                         ", which hsm.tokens does not define");
  }
  const config::ModuleConfig* module = cfg.hsm.FindModule(token->module_id);
  if (module == nullptr) {
    throw OperationError("token " + token_id + " names module " + token->module_id +
                         ", which hsm.modules does not define");
  }
  TenantHsm out;
  out.token_id = token_id;
  out.module =
      OpenModuleOrThrow(module->module, module->generate_iv_in_hsm, module->initialize_parameters);
  out.token = token->token;
  out.health_check_key = token->health_check_key;

  pkcs11::TokenConfig tc;
  tc.token = out.token;
  tc.max_sessions = 1;
  tc.pin = token->pin.kind == config::SecretRef::Kind::kFile
               ? pkcs11::PinSource::File(token->pin.where)
               : pkcs11::PinSource::Env(token->pin.where);
  out.config = tc;
  auto client = pkcs11::TokenClient::Open(out.module, tc);
  if (!client.ok()) ThrowHsm("cannot open token " + out.token, client.error());
  out.client = std::move(client).value();
  return out;
}

std::string UsageString(const pkcs11::KeyUsage& usage) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  add(usage.encrypt, "encrypt");
  add(usage.decrypt, "decrypt");
  add(usage.wrap, "wrap");
  add(usage.unwrap, "unwrap");
  return out.empty() ? "none" : out;
}

}  // namespace xks::xksctl
