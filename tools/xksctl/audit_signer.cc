#include "tools/xksctl/audit_signer.h"

#include "proxy/runtime/hsm_checkpoint_signer.h"
#include "tools/xksctl/cli.h"
#include "tools/xksctl/config_store.h"
#include "tools/xksctl/hsm_access.h"

namespace xks::xksctl {

std::unique_ptr<audit::CheckpointSigner> OpenConfiguredAuditSigner(const ConfigStore& store) {
  const config::SignerConfig signer = store.config().audit.signer;
  if (signer.type == config::SignerConfig::Type::kFile) {
    auto loaded = audit::FileCheckpointSigner::Load(signer.key_file);
    if (!loaded.ok()) throw OperationError("audit.signer.key_file: " + loaded.error().ToString());
    return std::move(loaded).value();
  }
  TenantHsm hsm = OpenConfiguredToken(store.config(), signer.token, "audit.signer.token");
  auto opened = runtime::HsmCheckpointSigner::Open(
      std::shared_ptr<pkcs11::TokenClient>(std::move(hsm.client)), signer.key_label);
  if (!opened.ok()) throw OperationError("audit.signer: " + opened.error().ToString());
  return std::move(opened).value();
}

}  // namespace xks::xksctl
