#pragma once
// RAII owners for the OpenSSL libcrypto handles the project uses, the error-queue drainer and a
// memory-BIO reader. The libssl types (SSL, SSL_CTX) are in base/openssl_ssl.h, so code that only
// hashes or signs needs no libssl. Thread safety: the owners are plain unique_ptrs; the functions
// touch only the calling thread's OpenSSL error queue.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace xks {

/// A unique_ptr deleter that calls the OpenSSL free function `Free`.
template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpenSslDeleter<EVP_CIPHER_CTX_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter<EVP_MAC_CTX_free>>;
using EvpMacPtr = std::unique_ptr<EVP_MAC, OpenSslDeleter<EVP_MAC_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using EvpMdPtr = std::unique_ptr<EVP_MD, OpenSslDeleter<EVP_MD_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;

/// Frees memory OpenSSL allocated for the caller (i2d_* output, BN_bn2hex, ...). OPENSSL_free is a
/// macro, so it cannot be a template argument.
struct OpenSslMemoryDeleter {
  void operator()(void* p) const { OPENSSL_free(p); }
};
/// Owns a buffer that OpenSSL allocated (unsigned char* from i2d_*, char* from BN_bn2hex, ...).
template <typename T>
using OpenSslMemoryPtr = std::unique_ptr<T, OpenSslMemoryDeleter>;

/// The calling thread's OpenSSL error queue as one "; "-joined line, and clears the queue;
/// "unknown OpenSSL error" when it was empty. For messages: OpenSSL errors never carry secrets.
std::string OpenSslErrors();

/// A copy of the bytes held by a memory BIO (BIO_s_mem / BIO_s_secmem); empty when it has none.
std::string BioContents(BIO* mem_bio);

}  // namespace xks
