#include "tools/xksctl/token_entries.h"

#include <filesystem>
#include <vector>

#include "tools/xksctl/commands.h"
#include "tools/xksctl/hsm_access.h"

namespace xks::xksctl {

std::string EnsureModuleEntry(ConfigStore& store, const std::string& module,
                              std::optional<std::string>& parameters, bool& added) {
  added = false;
  std::vector<config::ModuleConfig>& modules = store.config().hsm.modules;
  for (const config::ModuleConfig& m : modules) {
    if (m.module != module) continue;
    if (parameters && *parameters != m.initialize_parameters) {
      throw OperationError("module " + m.id + " (" + module +
                           ") is configured with other initialize_parameters; a module is "
                           "initialized once per process — leave out --module-parameters");
    }
    parameters = m.initialize_parameters;
    return m.id;
  }
  std::string base = std::filesystem::path(module).stem().string();
  std::string id;
  for (char c : base) {
    if (IsValidName(std::string(1, c))) id.push_back(c);
  }
  if (id.empty()) id = "module";
  std::string unique = id;
  for (int n = 2; store.config().hsm.FindModule(unique) != nullptr; ++n) {
    unique = id + "-" + std::to_string(n);
  }
  modules.push_back(config::ModuleConfig{
      .id = unique, .module = module, .initialize_parameters = parameters.value_or("")});
  added = true;
  return unique;
}

std::string DefaultModule(const ConfigStore& store) {
  const auto& modules = store.config().hsm.modules;
  return modules.size() == 1 ? modules[0].module : "softhsm2";
}

ModuleChoice ChooseModuleEntry(ConfigStore& store, const ParsedArgs& args) {
  ModuleChoice choice;
  choice.name = args.GetOr("module", DefaultModule(store));
  // A file path is kept absolute: the configuration resolves relative paths against its own
  // directory, not against the directory xksctl ran in.
  if (choice.name.find('/') != std::string::npos) {
    choice.name = std::filesystem::absolute(choice.name).string();
  }
  choice.parameters = args.Get("module-parameters");
  choice.id = EnsureModuleEntry(store, choice.name, choice.parameters, choice.added);
  return choice;
}

std::string JoinTokenIds(const config::TenantConfig& tenant, std::string_view separator) {
  std::string out;
  for (const std::string& id : tenant.tokens) {
    if (!out.empty()) out += separator;
    out += id;
  }
  return out;
}

std::pair<std::string, bool> EnsureHealthKey(const std::shared_ptr<pkcs11::Module>& module,
                                             const std::string& token_ref,
                                             const std::string& pin_file,
                                             const std::string& label) {
  pkcs11::TokenConfig tc;
  tc.token = token_ref;
  tc.pin = pkcs11::PinSource::File(pin_file);
  tc.max_sessions = 1;
  auto client = pkcs11::TokenClient::Open(module, tc);
  if (!client.ok()) ThrowHsm("cannot open token " + token_ref, client.error());
  const std::string& health_key = label;
  auto existing = client.value()->DescribeKey(health_key, AdminDeadline());
  if (existing.ok()) {
    if (existing->key_class != pkcs11::KeyClass::kSecret ||
        existing->key_type != pkcs11::KeyType::kAes || !existing->usage.encrypt ||
        !existing->usage.decrypt) {
      throw OperationError("the token already holds an object labelled " + health_key +
                           " that is not an AES encrypt/decrypt key — give --health-key-label");
    }
    return {health_key, false};
  }
  auto created = client.value()->CreateAesKey(
      pkcs11::AesKeySpec{health_key, {}, true, true, false, false}, AdminDeadline());
  if (!created.ok()) ThrowHsm("cannot create the health-check key " + health_key, created.error());
  return {health_key, true};
}

}  // namespace xks::xksctl
