#include "proxy/audit/file_signer.h"

#include <utility>

namespace xks::audit {

Result<std::unique_ptr<CheckpointSigner>, Problem> MakeFileSigner(
    const config::SignerConfig& config) {
  if (config.type != config::SignerConfig::Type::kFile) {
    return Fail(MakeProblem("audit.signer.type",
                            "a pkcs11 signer must be constructed by the pkcs11 layer, not "
                            "MakeFileSigner"));
  }
  auto s = FileCheckpointSigner::Load(config.key_file);
  if (!s.ok()) return Fail(s.error());
  return std::unique_ptr<CheckpointSigner>(std::move(s).value().release());
}

}  // namespace xks::audit
