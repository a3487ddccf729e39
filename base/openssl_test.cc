#include "base/openssl.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include "base/openssl_ssl.h"

namespace xks {
namespace {

TEST(OpenSslTest, OwnersFreeTheirHandles) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_TRUE(key);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  EXPECT_TRUE(ctx);
  EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
  EXPECT_TRUE(md_ctx);
  BignumPtr bn(BN_new());
  EXPECT_TRUE(bn);
  OpenSslMemoryPtr<char> hex(BN_bn2hex(bn.get()));
  EXPECT_STREQ(hex.get(), "0");
  SslCtxPtr ssl_ctx(SSL_CTX_new(TLS_method()));
  ASSERT_TRUE(ssl_ctx);
  SslPtr ssl(SSL_new(ssl_ctx.get()));
  EXPECT_TRUE(ssl);
}

TEST(OpenSslTest, BioContentsCopiesTheMemoryBuffer) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_TRUE(bio);
  EXPECT_EQ(BioContents(bio.get()), "");
  ASSERT_EQ(BIO_write(bio.get(), "a\0b", 3), 3);
  EXPECT_EQ(BioContents(bio.get()), std::string("a\0b", 3));
}

TEST(OpenSslTest, ErrorsAreDrainedIntoOneLine) {
  ERR_clear_error();
  EXPECT_EQ(OpenSslErrors(), "unknown OpenSSL error");
  ERR_raise(ERR_LIB_EVP, ERR_R_MALLOC_FAILURE);
  ERR_raise(ERR_LIB_BIO, ERR_R_PASSED_NULL_PARAMETER);
  const std::string errors = OpenSslErrors();
  EXPECT_NE(errors.find("; "), std::string::npos) << errors;
  EXPECT_EQ(ERR_peek_error(), 0u) << "the queue is cleared";
}

}  // namespace
}  // namespace xks
