// Mutual TLS and key exchange at the socket: allowed client certificates get in (with their
// subject passed on), every client-certificate failure gets the same handshake_failure alert
// while the log names the real reason, and the finite-field key exchange groups are not offered.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

constexpr const char* kAllowedCn = "cks.kms.us-east-1.amazonaws.com";

// What a client saw of one attempt, and what the server logged meanwhile.
struct Outcome {
  bool request_succeeded = false;
  std::optional<int> alert;
  std::string subject;  ///< the client certificate subject the handler saw
  std::string log;
};

class MutualTlsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    client_ca_ = pki_.MakeCa("client-ca", KeyType::kRsa);
    ServerOptions options = Options(ec_server_);
    options.tls.client_ca_file = client_ca_.cert_file;
    options.tls.allowed_client_common_names = {kAllowedCn};
    StartServer(options);
  }

  bool RequestSucceeds(const Identity* identity) {
    const Outcome outcome = Attempt(identity);
    last_subject_ = outcome.subject;
    return outcome.request_succeeded;
  }

  // Connects with `identity` (none when null), at one TLS version if given, and sends a request.
  Outcome Attempt(const Identity* identity, int version = 0) {
    ClientOptions options = Client();
    options.min_version = version;
    options.max_version = version;
    if (identity) {
      options.cert_file = identity->cert_file;
      options.key_file = identity->key_file;
    }
    Outcome outcome;
    ::testing::internal::CaptureStderr();
    {
      std::optional<int> alert;
      auto client = TestClient::Connect(server_->port(), options, nullptr, &alert);
      outcome.alert = alert;
      if (client) {
        // TLS 1.3 finishes the client's handshake before the server has checked its
        // certificate, so a refusal may only show on the first read.
        auto response = client->Request("POST", "/x", "m");
        outcome.request_succeeded = response && response->status == 200;
        if (response) outcome.subject = response->Header("X-Subject").value_or("");
        outcome.alert = client->received_alert();
      }
    }
    // The session logs before it closes; once it is gone the line is written.
    AwaitStats([](const Server::Stats& stats) { return stats.connections_open == 0; });
    outcome.log = ::testing::internal::GetCapturedStderr();
    return outcome;
  }

  Identity client_ca_;
  std::string last_subject_;
};

TEST_F(MutualTlsTest, AcceptsAllowedClientAndPassesSubject) {
  const auto good =
      pki_.MakeLeaf("good", "cks.kms.us-east-1.amazonaws.com", KeyType::kEc, &client_ca_);
  EXPECT_TRUE(RequestSucceeds(&good));
  EXPECT_EQ(last_subject_, "CN=cks.kms.us-east-1.amazonaws.com,O=xks test");
}

TEST_F(MutualTlsTest, RefusesMissingWrongCnExpiredAndSelfSignedCertificates) {
  const auto wrong_cn = pki_.MakeLeaf("wrong", "someone-else", KeyType::kEc, &client_ca_);
  const auto expired = pki_.MakeLeaf("expired", "cks.kms.us-east-1.amazonaws.com", KeyType::kRsa,
                                     &client_ca_, -7200, -3600);
  const auto self_signed =
      pki_.MakeLeaf("self", "cks.kms.us-east-1.amazonaws.com", KeyType::kEc, nullptr);
  const auto other_ca_leaf =
      pki_.MakeLeaf("other", "cks.kms.us-east-1.amazonaws.com", KeyType::kEc, &ca_);
  EXPECT_FALSE(RequestSucceeds(nullptr));
  EXPECT_FALSE(RequestSucceeds(&wrong_cn));
  EXPECT_FALSE(RequestSucceeds(&expired));
  EXPECT_FALSE(RequestSucceeds(&self_signed));
  EXPECT_FALSE(RequestSucceeds(&other_ca_leaf));
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(MutualTlsTest, ReloadChangesAllowedNamesForNewConnections) {
  const auto first =
      pki_.MakeLeaf("first", "cks.kms.us-east-1.amazonaws.com", KeyType::kEc, &client_ca_);
  const auto second =
      pki_.MakeLeaf("second", "cks.kms.eu-west-1.amazonaws.com", KeyType::kEc, &client_ca_);
  EXPECT_TRUE(RequestSucceeds(&first));
  EXPECT_FALSE(RequestSucceeds(&second));
  auto reloaded = server_->ReloadTls({ec_server_.cert_file,
                                      ec_server_.key_file,
                                      client_ca_.cert_file,
                                      {"cks.kms.eu-west-1.amazonaws.com"}});
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().ToString();
  EXPECT_FALSE(RequestSucceeds(&first));
  EXPECT_TRUE(RequestSucceeds(&second));
}

TEST_F(MutualTlsTest, EveryCertificateFailureSendsHandshakeFailureAndLogsTheReason) {
  const auto expired =
      pki_.MakeLeaf("expired", kAllowedCn, KeyType::kRsa, &client_ca_, -7200, -3600);
  const auto self_signed = pki_.MakeLeaf("self", kAllowedCn, KeyType::kEc, nullptr);
  const auto other_ca = pki_.MakeLeaf("other", kAllowedCn, KeyType::kEc, &ca_);
  const auto wrong_cn = pki_.MakeLeaf("wrong", "someone-else", KeyType::kEc, &client_ca_);
  const struct {
    const Identity* identity;
    const char* reason;
  } cases[] = {
      {&expired, "certificate has expired (depth 0)"},
      {&self_signed, "self-signed certificate (depth 0)"},
      // The client sends its issuer along (it is in its trust store): an untrusted root.
      {&other_ca, "self-signed certificate in certificate chain (depth 1)"},
      {&wrong_cn, "subject CN \"someone-else\" not in allowed_client_common_names"},
  };
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(c.reason) + (version == TLS1_3_VERSION ? " TLS 1.3" : " TLS 1.2"));
      const Outcome refusal = Attempt(c.identity, version);
      EXPECT_FALSE(refusal.request_succeeded);
      ASSERT_TRUE(refusal.alert);
      EXPECT_EQ(*refusal.alert, SSL_AD_HANDSHAKE_FAILURE)
          << SSL_alert_desc_string_long(*refusal.alert);
      EXPECT_NE(refusal.log.find("client certificate rejected from 127.0.0.1:"), std::string::npos)
          << refusal.log;
      EXPECT_NE(refusal.log.find(c.reason), std::string::npos) << refusal.log;
    }
  }
  EXPECT_EQ(server_->stats().requests, 0u);
}

// A missing certificate gets handshake_failure in TLS 1.2. In TLS 1.3 OpenSSL sends
// certificate_required, the alert RFC 8446 4.4.2.4 names for it, and has no hook to change it.
TEST_F(MutualTlsTest, MissingCertificateIsRefusedAndLogged) {
  const Outcome tls12 = Attempt(nullptr, TLS1_2_VERSION);
  EXPECT_FALSE(tls12.request_succeeded);
  ASSERT_TRUE(tls12.alert);
  EXPECT_EQ(*tls12.alert, SSL_AD_HANDSHAKE_FAILURE);
  EXPECT_NE(tls12.log.find("no client certificate presented"), std::string::npos) << tls12.log;

  const Outcome tls13 = Attempt(nullptr, TLS1_3_VERSION);
  EXPECT_FALSE(tls13.request_succeeded);
  ASSERT_TRUE(tls13.alert);
  EXPECT_EQ(*tls13.alert, SSL_AD_CERTIFICATE_REQUIRED);
  EXPECT_NE(tls13.log.find("no client certificate presented"), std::string::npos) << tls13.log;
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(MutualTlsTest, AllowedClientStillGetsIn) {
  const auto good = pki_.MakeLeaf("good", kAllowedCn, KeyType::kEc, &client_ca_);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const Outcome outcome = Attempt(&good, version);
    EXPECT_TRUE(outcome.request_succeeded);
    EXPECT_FALSE(outcome.alert);
    EXPECT_EQ(outcome.log.find("rejected"), std::string::npos) << outcome.log;
  }
}

TEST_F(ServerTest, OnlyEllipticCurveKeyExchangeIsOffered) {
  StartServer(Options(rsa_server_));
  for (const char* group : {"ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"}) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      ClientOptions options = Client();
      options.groups = group;
      options.min_version = version;
      options.max_version = version;
      // TLS 1.2 negotiates finite-field DH through DHE cipher suites, not through the groups:
      // offer exactly those, so a server that accepted DHE would let this client in.
      if (version == TLS1_2_VERSION) {
        options.cipher_list = "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256";
      }
      std::optional<int> alert;
      EXPECT_FALSE(TestClient::Connect(server_->port(), options, nullptr, &alert))
          << group << " accepted";
      EXPECT_TRUE(alert) << group;
    }
  }
  for (const char* group : {"X25519", "P-256", "P-384"}) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      ClientOptions options = Client();
      options.groups = group;
      options.min_version = version;
      options.max_version = version;
      auto client = Connect(options);
      ASSERT_TRUE(client) << group;
      EXPECT_TRUE(client->Request("GET", "/ping")) << group;
    }
  }
}

}  // namespace
}  // namespace xks::server
