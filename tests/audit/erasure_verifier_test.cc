// VerifyErasure and `verify-erasure`: one test per finding, on a proxy chain and an xksctl chain
// written by the real AuditLog with a fake clock, and a certificate signed like xksctl signs it.
#include "proxy/audit/erasure_verifier.h"

#include <gtest/gtest.h>

#include <sstream>

#include "proxy/audit/audit_cli.h"
#include "proxy/audit/audit_record.h"
#include "proxy/audit/erasure_certificate.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

using testing::FilesWithPrefix;
using testing::LoadSigner;
using testing::ReadLines;
using testing::TempDir;
using testing::WriteLines;

bool HasFinding(const ErasureReport& r, const std::string& kind) {
  for (const ErasureFinding& f : r.findings) {
    if (f.kind == kind) return true;
  }
  return false;
}

// Tenant "a" is shredded between the proxy's records; tenant "b" goes on being served.
class ErasureVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.Sub("signer.pem");
    ASSERT_TRUE(GenerateSignerKeyFile(key_file_, SignerKeyType::kP256).ok());
    key_ = testing::KeyOf(*LoadSigner(key_file_));
    logs_ = dir_.Sub("logs");
    clock_ = std::make_shared<testing::FakeClock>();
    cert_ = {{"type", "xks-erasure-certificate"},
             {"format", 2},
             {"certificate_id", "0123456789abcdef0123456789abcdef"},
             {"scope", "tenant"},
             {"tenant", "a"},
             {"members", {{{"id", "a"}, {"serial", "s1"}, {"complete", true}}}},
             {"keys",
              {{{"member", "a"},
                {"label", "label-a"},
                {"external_key_id", "key-0"},
                {"version", 1},
                {"erased", true}}}},
             {"complete", true},
             {"all_erased", true}};
  }

  // The proxy serves both tenants, xksctl shreds "a", the proxy serves "b" (and `after_a` for
  // "a") afterwards. The proxy's log is open across the shred, as in production.
  void Write(const std::vector<AuditEvent>& after_a = {}) {
    auto proxy = AuditLog::Open(testing::TestConfig(logs_), LoadSigner(key_file_), {clock_, {}});
    ASSERT_TRUE(proxy.ok());
    for (int i = 0; i < 4; ++i) Append(*proxy.value(), testing::SampleEvent(i % 2 ? "a" : "b", i));
    ASSERT_TRUE(proxy.value()->Checkpoint().ok());
    clock_->Advance(std::chrono::seconds(2));
    cert_["started_at"] = FormatTimestamp(clock_->Now()).substr(0, 19) + "Z";
    cert_["completed_at"] = cert_["started_at"];
    clock_->Advance(std::chrono::seconds(1));
    RecordShred(ShredEventDetails(cert_));
    clock_->Advance(std::chrono::seconds(1));
    Append(*proxy.value(), testing::SampleEvent("b", 7));
    for (const AuditEvent& e : after_a) Append(*proxy.value(), e);
    proxy.value()->Close();
    cert_["signature"] = SignErasureCertificate(*LoadSigner(key_file_), cert_);
  }
  void Append(AuditLog& log, const AuditEvent& e) {
    clock_->Advance(std::chrono::milliseconds(10));
    ASSERT_TRUE(log.Append(e).ok());
  }
  void RecordShred(const nlohmann::json& details) {
    auto config = testing::TestConfig(logs_);
    config.file_prefix = "xksctl";
    auto own = AuditLog::Open(config, LoadSigner(key_file_), {clock_, {}});
    ASSERT_TRUE(own.ok());
    AuditEvent admin;
    admin.kind = AuditEvent::Kind::kAdmin;
    admin.operation = ShredOperationOf(cert_);
    admin.tenant = "a";
    admin.external_key_id = cert_.value("external_key_id", "");
    admin.details = details;
    Append(*own.value(), admin);
    own.value()->Close();
  }
  std::vector<std::string> Files() const {
    auto all = FilesWithPrefix(logs_, "audit");
    for (const auto& f : FilesWithPrefix(logs_, "xksctl")) all.push_back(f);
    return all;
  }
  ErasureReport Verify() { return VerifyErasure(cert_, {key_}, Files()); }
  void Resign() { cert_["signature"] = SignErasureCertificate(*LoadSigner(key_file_), cert_); }

  TempDir dir_;
  std::string key_file_, logs_;
  VerificationKey key_;
  std::shared_ptr<testing::FakeClock> clock_;
  nlohmann::json cert_;
};

TEST_F(ErasureVerifierTest, GenuineErasureVerifies) {
  AuditEvent refused = testing::SampleEvent("a", 0);
  refused.result = "InvalidUriPathException";
  refused.http_status = 404;
  Write({refused});
  ErasureReport r = Verify();
  EXPECT_TRUE(r.Ok()) << r.ToText();
  EXPECT_TRUE(r.signature_valid);
  ASSERT_TRUE(r.event.has_value());
  EXPECT_EQ(r.event->chain, "test-instance/xksctl");
  EXPECT_GT(r.covering_checkpoint_seq, r.event->seq);
  ASSERT_EQ(r.requests_after.size(), 1u);  // the refused one is reported, not a finding
  EXPECT_EQ(r.requests_after[0].rec["result"], "InvalidUriPathException");
  EXPECT_EQ(r.ToJson()["ok"], true);
  EXPECT_NE(r.ToText().find("VERIFIED"), std::string::npos);
}

TEST_F(ErasureVerifierTest, AlteredCertificateIsBadSignature) {
  Write();
  cert_["keys"][0]["erased"] = false;  // any change after signing
  EXPECT_TRUE(HasFinding(Verify(), "bad-signature"));
}

TEST_F(ErasureVerifierTest, MissingSignatureIsUnsigned) {
  Write();
  cert_.erase("signature");
  EXPECT_TRUE(HasFinding(Verify(), "unsigned"));
}

TEST_F(ErasureVerifierTest, KeyNotGivenIsUnknownKey) {
  Write();
  auto other = testing::KeyOf(*testing::NewSigner());
  ErasureReport r = VerifyErasure(cert_, {other}, {});
  EXPECT_TRUE(HasFinding(r, "unknown-key")) << r.ToText();
  EXPECT_FALSE(r.audit_checked);
}

TEST_F(ErasureVerifierTest, CertificateAloneVerifiesWithoutAuditFiles) {
  Write();
  ErasureReport r = VerifyErasure(cert_, {key_}, {});
  EXPECT_TRUE(r.Ok()) << r.ToText();
  EXPECT_NE(r.ToText().find("no audit files given"), std::string::npos);
}

TEST_F(ErasureVerifierTest, OldFormatIsMalformed) {
  Write();
  cert_["format"] = 1;
  Resign();
  EXPECT_TRUE(HasFinding(Verify(), "malformed-certificate"));
}

TEST_F(ErasureVerifierTest, IncompleteCertificateIsAFinding) {
  cert_["complete"] = false;
  cert_["members"][0]["complete"] = false;
  Write();
  ErasureReport r = Verify();
  EXPECT_TRUE(HasFinding(r, "incomplete-erasure")) << r.ToText();
  EXPECT_FALSE(HasFinding(r, "event-mismatch:complete")) << r.ToText();
}

TEST_F(ErasureVerifierTest, WithoutXksctlChainThereIsNoShredEvent) {
  Write();
  ErasureReport r = VerifyErasure(cert_, {key_}, FilesWithPrefix(logs_, "audit"));
  EXPECT_TRUE(HasFinding(r, "no-shred-event")) << r.ToText();
}

TEST_F(ErasureVerifierTest, WithoutProxyChainRequestsCannotBeChecked) {
  Write();
  ErasureReport r = VerifyErasure(cert_, {key_}, FilesWithPrefix(logs_, "xksctl"));
  EXPECT_TRUE(HasFinding(r, "no-request-log")) << r.ToText();
}

TEST_F(ErasureVerifierTest, CertificateDifferingFromEventIsEventMismatch) {
  Write();
  cert_["keys"][0]["version"] = 2;
  cert_["members"][0]["serial"] = "other";
  Resign();
  ErasureReport r = Verify();
  EXPECT_TRUE(HasFinding(r, "event-mismatch:versions")) << r.ToText();
  EXPECT_TRUE(HasFinding(r, "event-mismatch:tokens")) << r.ToText();
  EXPECT_FALSE(HasFinding(r, "event-mismatch:labels")) << r.ToText();
  cert_["tenant"] = "b";
  Resign();
  EXPECT_TRUE(HasFinding(Verify(), "event-mismatch:tenant"));
}

TEST_F(ErasureVerifierTest, EventWithoutCoveringCheckpointIsNotCheckpointed) {
  Write();
  const std::string own = FilesWithPrefix(logs_, "xksctl")[0];
  auto lines = ReadLines(own);
  lines.pop_back();  // the shutdown checkpoint that covered the event
  WriteLines(own, lines);
  ErasureReport r = Verify();
  EXPECT_TRUE(HasFinding(r, "not-checkpointed")) << r.ToText();
  EXPECT_FALSE(r.warnings.empty());  // the unsigned tail
}

TEST_F(ErasureVerifierTest, EditedEventIsNotCheckpointedAndTampered) {
  Write();
  const std::string own = FilesWithPrefix(logs_, "xksctl")[0];
  auto lines = ReadLines(own);
  for (std::string& l : lines) {
    auto pos = l.find("\"label-a\"");
    if (pos != std::string::npos) l.replace(pos, 9, "\"label-x\"");
  }
  WriteLines(own, lines);
  ErasureReport r = Verify();
  EXPECT_TRUE(HasFinding(r, "not-checkpointed")) << r.ToText();
  EXPECT_TRUE(HasFinding(r, "audit-tampered")) << r.ToText();
  EXPECT_TRUE(HasFinding(r, "event-mismatch:versions")) << r.ToText();
}

TEST_F(ErasureVerifierTest, SuccessfulRequestAfterTheEventIsUseAfterErasure) {
  Write({testing::SampleEvent("a", 0)});
  ErasureReport r = Verify();
  ASSERT_TRUE(HasFinding(r, "use-after-erasure")) << r.ToText();
  EXPECT_EQ(r.findings.size(), 1u) << r.ToText();
  EXPECT_EQ(r.findings[0].chain, "test-instance/audit");
}

// A key shred concerns that key only: the tenant's other keys go on being used.
TEST_F(ErasureVerifierTest, KeyScopeConcernsOnlyThatKey) {
  cert_["scope"] = "key";
  cert_["external_key_id"] = "key-0";
  AuditEvent other_key = testing::SampleEvent("a", 1);  // key-1
  other_key.key_label = "label-a-other";
  AuditEvent same_key = testing::SampleEvent("a", 0);  // key-0
  same_key.result = "KeyNotFoundException";
  Write({other_key, same_key});
  ErasureReport r = Verify();
  EXPECT_TRUE(r.Ok()) << r.ToText();
  ASSERT_EQ(r.requests_after.size(), 1u) << r.ToText();  // the refused use of key-0 only
  EXPECT_EQ(r.requests_after[0].rec["externalKeyId"], "key-0");
}

TEST_F(ErasureVerifierTest, CliExitCodes) {
  Write();
  const std::string cert = dir_.Sub("cert.json");
  const std::string pem = dir_.Sub("pub.pem");
  testing::WriteFile(cert, cert_.dump(2));
  testing::WriteFile(pem, LoadSigner(key_file_)->PublicKeyPem());
  std::vector<std::string> args = {cert, "--public-key", pem, "--json"};
  for (const auto& f : Files()) args.push_back(f);
  std::ostringstream out, err;
  EXPECT_EQ(RunAuditCommand(
                [&] {
                  auto a = args;
                  a.insert(a.begin(), "verify-erasure");
                  return a;
                }(),
                out, err),
            kExitOk)
      << out.str() << err.str();
  EXPECT_EQ(nlohmann::json::parse(out.str())["ok"], true);
  cert_["tenant"] = "forged";
  testing::WriteFile(cert, cert_.dump(2));
  EXPECT_EQ(RunAuditVerifyErasure(args, out, err), kExitVerifyFailed);
  EXPECT_EQ(RunAuditVerifyErasure({dir_.Sub("missing.json"), "--public-key", pem}, out, err),
            kExitUsage);
  EXPECT_EQ(RunAuditVerifyErasure({cert}, out, err), kExitUsage);  // no --public-key
  EXPECT_EQ(RunAuditVerifyErasure({cert, "--public-key", pem, dir_.Sub("nope.jsonl")}, out, err),
            kExitUsage);
}

}  // namespace
}  // namespace xks::audit
