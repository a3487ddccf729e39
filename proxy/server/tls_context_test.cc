#include "proxy/server/tls_context.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy/server/test_support.h"

namespace xks::server {
namespace {

using testing::KeyType;
using testing::TestPki;

TEST(TlsContextTest, LoadsRsaAndEcCertificates) {
  TestPki pki;
  const auto ca = pki.MakeCa("ca", KeyType::kEc);
  for (KeyType type : {KeyType::kRsa, KeyType::kEc}) {
    const auto leaf = pki.MakeLeaf("leaf", "server", type, &ca);
    auto ctx = MakeServerSslContext({leaf.cert_file, leaf.key_file, "", {}});
    ASSERT_TRUE(ctx.ok()) << ctx.error().ToString();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->get()), TLS1_2_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx->get()), TLS1_3_VERSION);
    EXPECT_EQ(SSL_CTX_get_verify_mode(ctx->get()), SSL_VERIFY_NONE);
  }
}

TEST(TlsContextTest, RejectsKeyThatDoesNotMatch) {
  TestPki pki;
  const auto a = pki.MakeLeaf("a", "a", KeyType::kEc, nullptr);
  const auto b = pki.MakeLeaf("b", "b", KeyType::kEc, nullptr);
  auto ctx = MakeServerSslContext({a.cert_file, b.key_file, "", {}});
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().path, "server.tls.private_key_file");
  EXPECT_NE(ctx.error().problem.find("does not match"), std::string::npos)
      << ctx.error().ToString();
}

TEST(TlsContextTest, NamesMissingFiles) {
  TestPki pki;
  const auto a = pki.MakeLeaf("a", "a", KeyType::kRsa, nullptr);
  auto missing_cert = MakeServerSslContext({pki.dir() + "/nope.crt", a.key_file, "", {}});
  ASSERT_FALSE(missing_cert.ok());
  EXPECT_EQ(missing_cert.error().path, "server.tls.certificate_chain_file");
  EXPECT_NE(missing_cert.error().problem.find("nope.crt"), std::string::npos);
  auto missing_ca = MakeServerSslContext({a.cert_file, a.key_file, pki.dir() + "/ca.pem", {}});
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_EQ(missing_ca.error().path, "server.tls.client_ca_file");
  EXPECT_NE(missing_ca.error().problem.find("ca.pem"), std::string::npos);
  auto empty = MakeServerSslContext({});
  EXPECT_FALSE(empty.ok());
  const std::string garbage = pki.WriteFile("garbage.pem", "not a certificate\n");
  EXPECT_FALSE(MakeServerSslContext({garbage, a.key_file, "", {}}).ok());
}

// The key goes through base/secret_file on every load: a key others may read is refused with the
// fix, also behind a symlink (followed: the target's mode counts), before OpenSSL sees it.
TEST(TlsContextTest, RefusesAPrivateKeyOthersMayRead) {
  TestPki pki;
  const auto a = pki.MakeLeaf("a", "a", KeyType::kEc, nullptr);
  ASSERT_EQ(::chmod(a.key_file.c_str(), 0640), 0);
  auto open = MakeServerSslContext({a.cert_file, a.key_file, "", {}});
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().path, "server.tls.private_key_file");
  EXPECT_NE(open.error().problem.find("is accessible by group or others (mode 640)"),
            std::string::npos)
      << open.error().ToString();
  EXPECT_NE(open.error().ToString().find("chmod 600 " + a.key_file), std::string::npos);

  const std::string link = pki.dir() + "/linked.key";
  ASSERT_EQ(::symlink(a.key_file.c_str(), link.c_str()), 0);
  auto linked = MakeServerSslContext({a.cert_file, link, "", {}});
  ASSERT_FALSE(linked.ok()) << "a symlink to a loose key is as loose";
  EXPECT_NE(linked.error().problem.find("accessible by group or others"), std::string::npos);

  ASSERT_EQ(::chmod(a.key_file.c_str(), 0600), 0);
  EXPECT_TRUE(MakeServerSslContext({a.cert_file, link, "", {}}).ok()) << "Kubernetes-style link";
  EXPECT_TRUE(MakeServerSslContext({a.cert_file, a.key_file, "", {}}).ok());
  auto missing = MakeServerSslContext({a.cert_file, pki.dir() + "/nope.key", "", {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().problem.find("is not an existing regular file"), std::string::npos);
}

TEST(TlsContextTest, MutualTlsRequiresPeerCertificate) {
  TestPki pki;
  const auto ca = pki.MakeCa("ca", KeyType::kRsa);
  const auto leaf = pki.MakeLeaf("leaf", "server", KeyType::kRsa, &ca);
  auto ctx = MakeServerSslContext({leaf.cert_file, leaf.key_file, ca.cert_file, {"kms"}});
  ASSERT_TRUE(ctx.ok()) << ctx.error().ToString();
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx->get()), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

}  // namespace
}  // namespace xks::server
