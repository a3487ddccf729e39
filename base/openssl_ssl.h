#pragma once
// RAII owners for the libssl handles (kept apart from base/openssl.h so that libcrypto-only code
// needs no libssl). A target including this links OpenSSL::SSL itself.

#include <openssl/ssl.h>

#include <memory>

#include "base/openssl.h"

namespace xks {

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL_free>>;

}  // namespace xks
