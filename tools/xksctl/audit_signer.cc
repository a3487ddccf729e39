#include "tools/xksctl/audit_signer.h"

#include "proxy/runtime/hsm_checkpoint_signer.h"
#include "tools/xksctl/cli.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/hsm_access.h"

namespace xks::xksctl {
namespace {

std::string StringField(const nlohmann::json& signer, const char* name) {
  if (!signer.contains(name) || !signer[name].is_string() ||
      signer[name].get<std::string>().empty()) {
    throw OperationError(std::string("audit.signer.") + name +
                         " is missing — fix the configuration (xksctl config validate)");
  }
  return signer[name].get<std::string>();
}

}  // namespace

std::unique_ptr<audit::CheckpointSigner> OpenConfiguredAuditSigner(const nlohmann::json& doc,
                                                                   const std::string& base_dir) {
  if (!doc.is_object() || !doc.contains("audit") || !doc["audit"].is_object() ||
      !doc["audit"].contains("signer") || !doc["audit"]["signer"].is_object()) {
    throw OperationError("the configuration has no audit.signer — give --key-file KEY instead");
  }
  const nlohmann::json& signer = doc["audit"]["signer"];
  const std::string type = signer.value("type", "");
  if (type == "file") {
    const std::string key_file = ResolvePath(base_dir, StringField(signer, "key_file"));
    auto loaded = audit::FileCheckpointSigner::Load(key_file);
    if (!loaded.ok()) throw OperationError("audit.signer.key_file: " + loaded.error().ToString());
    return std::move(loaded).value();
  }
  if (type == "pkcs11") {
    TenantHsm hsm =
        OpenConfiguredToken(doc, StringField(signer, "token"), base_dir, "audit.signer.token");
    auto opened = runtime::HsmCheckpointSigner::Open(
        std::shared_ptr<pkcs11::TokenClient>(std::move(hsm.client)),
        StringField(signer, "key_label"));
    if (!opened.ok()) throw OperationError("audit.signer: " + opened.error().ToString());
    return std::move(opened).value();
  }
  throw OperationError("audit.signer.type \"" + type +
                       "\" is unknown — use \"file\" or \"pkcs11\"");
}

}  // namespace xks::xksctl
