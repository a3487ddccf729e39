#include "tools/xksctl/hsm_access.h"

#include "tools/xksctl/cli.h"
#include "tools/xksctl/config_store.h"

namespace xks::xksctl {
namespace {

// doc["hsm"][name] when it is an array, else an empty one: operator[] on a const json with a
// missing key is undefined behaviour, and an unvalidated document may lack either level.
const nlohmann::json& HsmList(const nlohmann::json& doc, const char* name) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!doc.is_object() || !doc.contains("hsm") || !doc["hsm"].is_object()) return kEmpty;
  const nlohmann::json& hsm = doc["hsm"];
  return hsm.contains(name) && hsm[name].is_array() ? hsm[name] : kEmpty;
}

}  // namespace

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

TenantHsm OpenTenantHsm(const nlohmann::json& doc, const nlohmann::json& tenant,
                        const std::string& base_dir) {
  return OpenConfiguredToken(doc, tenant.value("token", ""), base_dir,
                             "tenant " + tenant.value("name", ""));
}

TenantHsm OpenConfiguredToken(const nlohmann::json& doc, const std::string& token_id,
                              const std::string& base_dir, const std::string& named_by) {
  TenantHsm out;
  out.token_id = token_id;
  const nlohmann::json* token = nullptr;
  for (const auto& t : HsmList(doc, "tokens")) {
    if (t.value("id", "") == out.token_id) token = &t;
  }
  if (token == nullptr) {
    throw OperationError(named_by + " names token " + out.token_id +
                         ", which hsm.tokens does not define");
  }
  const std::string module_id = token->value("module", "");
  const nlohmann::json* module = nullptr;
  for (const auto& m : HsmList(doc, "modules")) {
    if (m.value("id", "") == module_id) module = &m;
  }
  if (module == nullptr) {
    throw OperationError("token " + out.token_id + " names module " + module_id +
                         ", which hsm.modules does not define");
  }
  std::string module_name = module->value("module", "");
  if (module_name.find('/') != std::string::npos) module_name = ResolvePath(base_dir, module_name);
  out.module = OpenModuleOrThrow(module_name, module->value("generate_iv_in_hsm", false),
                                 module->value("initialize_parameters", ""));
  out.token = token->value("token", "");
  out.health_check_key = token->value("health_check_key", "");

  pkcs11::TokenConfig tc;
  tc.token = out.token;
  tc.max_sessions = 1;
  const auto& pin = (*token)["pin"];
  if (pin.is_object() && pin.contains("file")) {
    tc.pin = pkcs11::PinSource::File(ResolvePath(base_dir, pin["file"].get<std::string>()));
  } else if (pin.is_object() && pin.contains("env")) {
    tc.pin = pkcs11::PinSource::Env(pin["env"].get<std::string>());
  } else {
    throw OperationError("token " + out.token_id + " has no pin {\"file\": ...} or {\"env\": ...}");
  }
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
