#include "tools/xksctl/audit_signer.h"

#include "proxy/runtime/hsm_checkpoint_signer.h"
#include "tools/xksctl/cli.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/hsm_access.h"

namespace xks::xksctl {

std::unique_ptr<audit::CheckpointSigner> OpenConfiguredAuditSigner(const ConfigStore& store) {
  auto signer = OpenAuditSigner(store.config());
  if (!signer.ok()) throw OperationError(signer.error().ToString());
  return std::move(signer).value();
}

Result<std::unique_ptr<audit::CheckpointSigner>, Problem> OpenAuditSigner(
    const config::Config& config) {
  const config::SignerConfig& signer = config.audit.signer;
  if (signer.type == config::SignerConfig::Type::kFile) {
    auto loaded = audit::FileCheckpointSigner::Load(signer.key_file);
    if (!loaded.ok()) return Fail(MakeProblem("audit.signer.key_file", loaded.error().ToString()));
    return std::unique_ptr<audit::CheckpointSigner>(std::move(loaded).value());
  }
  try {
    TenantHsm hsm = OpenConfiguredToken(config, signer.token, "audit.signer.token");
    auto opened = runtime::HsmCheckpointSigner::Open(
        std::shared_ptr<pkcs11::TokenClient>(std::move(hsm.client)), signer.key_label);
    if (!opened.ok()) return Fail(MakeProblem("audit.signer", opened.error().ToString()));
    return std::unique_ptr<audit::CheckpointSigner>(std::move(opened).value());
  } catch (const OperationError& e) {  // the token could not be opened; the message names it
    return Fail(MakeProblem("audit.signer.token", e.what()));
  }
}

}  // namespace xks::xksctl
