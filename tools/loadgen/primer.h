#pragma once
// The start-up encrypts: decrypt requests need real ciphertexts (with their IV, tag and
// ciphertextMetadata), so before the load starts one connection encrypts `count` times and keeps
// the answers. It also shows early that the URL, the trust settings and the credential work.
//
// Thread safety: runs on the calling thread with its own io_context.

#include <string>
#include <vector>

#include "base/result.h"
#include "tools/loadgen/request_template.h"
#include "tools/loadgen/worker.h"

namespace xks::loadgen {

/// The JSON texts of `count` successful encrypt answers for `encrypt` (signed by `signer`), or
/// why not: the errorName and HTTP status of a refusal, or the transport failure. Gives up after
/// `timeout` in all.
Result<std::vector<std::string>, std::string> PrimeEncrypts(const Target& target,
                                                            RequestTemplate encrypt,
                                                            RequestSigner& signer, int count,
                                                            std::chrono::milliseconds timeout);

}  // namespace xks::loadgen
