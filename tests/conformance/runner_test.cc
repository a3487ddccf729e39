// xks-conformance against the reference server: everything passes when it behaves, and each
// misbehaviour fails exactly the cases that check the rule it breaks.
#include "conformance/runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "conformance/config.h"
#include "conformance/report.h"
#include "tests/conformance/reference_server.h"

namespace xks::conformance::testing {
namespace {

using Ids = std::set<std::string>;

Ids WithOutcome(const std::vector<CaseResult>& results, Outcome o) {
  Ids ids;
  for (const auto& r : results) {
    if (r.outcome == o) ids.insert(r.info.id);
  }
  return ids;
}

std::string Dump(const std::vector<CaseResult>& results) {
  std::ostringstream out;
  PrintReport(out, results, false);
  return out.str();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "xks-conf-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

const Ids kTlsOnly = {"transport.tls-1-2-or-later", "transport.tls-cipher-suite-allowed"};
const Ids kMtlsOnly = {"transport.mtls-client-cert-accepted", "transport.mtls-no-cert-refused"};

Ids Union(Ids a, const Ids& b) {
  a.insert(b.begin(), b.end());
  return a;
}

std::unique_ptr<ReferenceServer> StartPlain(const Misbehaviour& m = {}) {
  std::string error;
  ReferenceServerOptions o;
  o.misbehaviour = m;
  auto s = ReferenceServer::Start(o, error);
  EXPECT_TRUE(s) << error;
  return s;
}

TEST(ConformanceRunner, WellBehavedPlainHttpPassesEverythingApplicable) {
  auto server = StartPlain();
  ASSERT_TRUE(server);
  Config c = server->MakeConfig();
  auto results = RunConformance(c);
  EXPECT_EQ(results.size(), Catalogue().size());
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), Ids{}) << Dump(results);
  EXPECT_EQ(WithOutcome(results, Outcome::kSkip), Union(kTlsOnly, kMtlsOnly)) << Dump(results);
  EXPECT_TRUE(AllRequiredPassed(results));
}

TEST(ConformanceRunner, WellBehavedTlsWithMutualAuthPassesEverything) {
  TempDir dir;
  ASSERT_TRUE(WriteSelfSignedCert("localhost", dir.File("server.pem"), dir.File("server.key")));
  ASSERT_TRUE(WriteSelfSignedCert("client", dir.File("client.pem"), dir.File("client.key")));
  ReferenceServerOptions o;
  o.tls = true;
  o.cert_file = dir.File("server.pem");
  o.key_file = dir.File("server.key");
  o.client_ca_file = dir.File("client.pem");
  std::string error;
  auto server = ReferenceServer::Start(o, error);
  ASSERT_TRUE(server) << error;
  Config c = server->MakeConfig();
  c.ca_file = dir.File("server.pem");
  c.server_name = "localhost";
  c.client_cert_file = dir.File("client.pem");
  c.client_key_file = dir.File("client.key");
  auto results = RunConformance(c);
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), Ids{}) << Dump(results);
  EXPECT_EQ(WithOutcome(results, Outcome::kSkip), Ids{}) << Dump(results);
}

TEST(ConformanceRunner, UntrustedCertificateFailsEveryCaseThatConnects) {
  TempDir dir;
  ASSERT_TRUE(WriteSelfSignedCert("localhost", dir.File("server.pem"), dir.File("server.key")));
  ReferenceServerOptions o;
  o.tls = true;
  o.cert_file = dir.File("server.pem");
  o.key_file = dir.File("server.key");
  std::string error;
  auto server = ReferenceServer::Start(o, error);
  ASSERT_TRUE(server) << error;
  Config c = server->MakeConfig();
  c.ca_file = dir.File("server.pem");
  c.server_name = "not-localhost.example";  // name mismatch
  c.only = {"health.post-returns-200", "transport.tls-1-2-or-later"};
  auto results = RunConformance(c);
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), Ids(c.only.begin(), c.only.end()));
  c.server_name.clear();
  c.ca_file.clear();
  c.insecure_skip_verify = true;
  EXPECT_EQ(WithOutcome(RunConformance(c), Outcome::kFail), Ids{});
}

TEST(ConformanceRunner, AbsentOptionalInputsAreSkippedNotPassed) {
  auto server = StartPlain();
  ASSERT_TRUE(server);
  Config c = server->MakeConfig();
  c.encrypt_only_key_id.clear();
  c.decrypt_only_key_id.clear();
  c.no_usage_key_id.clear();
  c.disabled_key_id.clear();
  c.tenant2 = {};
  auto results = RunConformance(c);
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), Ids{}) << Dump(results);
  const Ids optional = {"metadata.disabled-key-reported",
                        "encrypt.decrypt-only-key-refused",
                        "encrypt.no-usage-key-refused",
                        "encrypt.disabled-key-refused",
                        "decrypt.encrypt-only-key-refused",
                        "decrypt.no-usage-key-refused",
                        "decrypt.disabled-key-refused",
                        "auth.tenant2-own-prefix-works",
                        "auth.tenant2-credentials-refused-on-tenant1",
                        "auth.cross-tenant-ciphertext-refused",
                        "auth.cross-tenant-key-id-refused"};
  EXPECT_EQ(WithOutcome(results, Outcome::kSkip), Union(Union(kTlsOnly, kMtlsOnly), optional));
}

TEST(ConformanceRunner, OnlySelectsASubset) {
  auto server = StartPlain();
  ASSERT_TRUE(server);
  Config c = server->MakeConfig();
  c.only = {"health.*", "auth.wrong-secret-401"};
  auto results = RunConformance(c);
  size_t health = 0;
  for (const auto& k : Catalogue()) health += k.info.group == "health";
  EXPECT_EQ(results.size(), health + 1);
  EXPECT_EQ(WithOutcome(results, Outcome::kPass).size(), results.size());
}

struct MisbehaviourCase {
  const char* name;
  Misbehaviour misbehaviour;
  Ids expected_failures;
  bool required_still_pass;  // only SHOULD cases fail
};

// Keeps gtest from dumping the struct's bytes in test names and failure messages.
void PrintTo(const MisbehaviourCase& c, std::ostream* os) { *os << c.name; }

Misbehaviour With(bool Misbehaviour::*flag) {
  Misbehaviour m;
  m.*flag = true;
  return m;
}

class MisbehaviourTest : public ::testing::TestWithParam<MisbehaviourCase> {};

TEST_P(MisbehaviourTest, FailsExactlyTheCasesItBreaks) {
  const MisbehaviourCase& p = GetParam();
  auto server = StartPlain(p.misbehaviour);
  ASSERT_TRUE(server);
  auto results = RunConformance(server->MakeConfig());
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), p.expected_failures) << Dump(results);
  EXPECT_EQ(AllRequiredPassed(results), p.required_still_pass);
}

INSTANTIATE_TEST_SUITE_P(
    ConformanceRunner, MisbehaviourTest,
    ::testing::Values(
        MisbehaviourCase{"NotFoundAs400",
                         With(&Misbehaviour::not_found_as_400),
                         {"metadata.unknown-key-404", "encrypt.unknown-key-404",
                          "decrypt.unknown-key-404", "auth.cross-tenant-key-id-refused"},
                         false},
        MisbehaviourCase{"HealthMissingEkmVendor",
                         With(&Misbehaviour::health_missing_ekm_vendor),
                         {"health.required-fields"},
                         false},
        MisbehaviourCase{"CdivWithoutAad",
                         With(&Misbehaviour::cdiv_without_aad),
                         {"encrypt.cdiv-matches-with-aad"},
                         false},
        MisbehaviourCase{
            "AcceptBadSignature",
            With(&Misbehaviour::accept_bad_signature),
            {"auth.wrong-secret-401", "auth.body-changed-after-signing-401",
             "auth.header-changed-after-signing-401", "auth.path-changed-after-signing-401"},
            false},
        MisbehaviourCase{
            "IgnoreCiphertextMetadata",
            With(&Misbehaviour::ignore_ciphertext_metadata),
            {"decrypt.tampered-ciphertext-metadata", "decrypt.dropped-ciphertext-metadata"},
            false},
        MisbehaviourCase{"GetReturns200",
                         With(&Misbehaviour::get_returns_200),
                         {"errors.get-health-405", "errors.get-metadata-405",
                          "errors.get-encrypt-405", "errors.get-decrypt-405"},
                         false},
        MisbehaviourCase{"OversizeCiphertextMetadata",
                         With(&Misbehaviour::oversize_ciphertext_metadata),
                         {"encrypt.ciphertext-metadata-at-most-20-bytes"},
                         false},
        MisbehaviourCase{
            "ReusedIv", With(&Misbehaviour::reused_iv), {"encrypt.distinct-ivs"}, false},
        MisbehaviourCase{"NoClockSkewCheck",
                         With(&Misbehaviour::no_clock_skew_check),
                         {"auth.clock-skew-plus-6min-401", "auth.clock-skew-minus-6min-401"},
                         true},
        MisbehaviourCase{"CloseAfterResponse",
                         With(&Misbehaviour::close_after_response),
                         {"transport.keep-alive"},
                         false},
        MisbehaviourCase{"IgnoreKeyUsage",
                         With(&Misbehaviour::ignore_key_usage),
                         {"encrypt.decrypt-only-key-refused", "encrypt.no-usage-key-refused",
                          "decrypt.encrypt-only-key-refused", "decrypt.no-usage-key-refused"},
                         false},
        MisbehaviourCase{"RejectUnknownFields",
                         With(&Misbehaviour::reject_unknown_fields),
                         {"health.unknown-fields-accepted", "metadata.unknown-fields-accepted",
                          "encrypt.unknown-fields-accepted", "decrypt.unknown-fields-accepted"},
                         true},
        MisbehaviourCase{
            "RequireUuidRequestId",
            With(&Misbehaviour::require_uuid_request_id),
            {"health.opaque-request-id-accepted", "metadata.opaque-request-id-accepted",
             "encrypt.opaque-request-id-accepted", "decrypt.opaque-request-id-accepted"},
            false},
        MisbehaviourCase{"LaxBase64",
                         With(&Misbehaviour::lax_base64),
                         {"encrypt.base64-missing-padding-400", "encrypt.base64-url-alphabet-400"},
                         true},
        MisbehaviourCase{"CrossTenantKeys",
                         With(&Misbehaviour::cross_tenant_keys),
                         {"auth.cross-tenant-key-id-refused"},
                         false},
        MisbehaviourCase{"Reject16ByteIv",
                         With(&Misbehaviour::reject_16_byte_iv),
                         {"decrypt.iv-16-bytes-processed"},
                         false},
        MisbehaviourCase{
            "AadWithoutLengths",
            With(&Misbehaviour::aad_without_lengths),
            {"decrypt.ciphertext-metadata-as-aad", "decrypt.aad-as-ciphertext-metadata"},
            false},
        MisbehaviourCase{"PlaintextLimit4096",
                         With(&Misbehaviour::plaintext_limit_4096),
                         {"encrypt.plaintext-4300-accepted", "decrypt.round-trip-4300-bytes"},
                         false},
        MisbehaviourCase{"AadLimit4096",
                         With(&Misbehaviour::aad_limit_4096),
                         {"encrypt.aad-8192-accepted", "decrypt.round-trip-aad-8192"},
                         false},
        MisbehaviourCase{"ArnLimit1024",
                         With(&Misbehaviour::arn_limit_1024),
                         {"metadata.arn-2048-accepted", "encrypt.arn-2048-accepted"},
                         false},
        MisbehaviourCase{"LowercaseHealthStatus",
                         With(&Misbehaviour::lowercase_health_status),
                         {"health.status-values-allowed"},
                         false},
        MisbehaviourCase{"FleetSizeZero",
                         With(&Misbehaviour::fleet_size_zero),
                         {"health.fleet-size-positive-integer"},
                         false}),
    [](const ::testing::TestParamInfo<MisbehaviourCase>& p) { return std::string(p.param.name); });

TEST(ConformanceRunner, WeakTlsCipherFailsOnlyTheCipherCase) {
  TempDir dir;
  ASSERT_TRUE(WriteSelfSignedCert("localhost", dir.File("server.pem"), dir.File("server.key")));
  ReferenceServerOptions o;
  o.tls = true;
  o.cert_file = dir.File("server.pem");
  o.key_file = dir.File("server.key");
  o.misbehaviour.weak_tls = true;
  std::string error;
  auto server = ReferenceServer::Start(o, error);
  ASSERT_TRUE(server) << error;
  Config c = server->MakeConfig();
  c.ca_file = dir.File("server.pem");
  c.server_name = "localhost";
  auto results = RunConformance(c);
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), Ids{"transport.tls-cipher-suite-allowed"})
      << Dump(results);
}

TEST(ConformanceRunner, SlowEndpointFailsTheLatencyCheck) {
  Misbehaviour m;
  m.delay_ms = 300;
  auto server = StartPlain(m);
  ASSERT_TRUE(server);
  Config c = server->MakeConfig();
  c.latency_samples = 3;
  c.only = {"transport.latency-fresh-connection", "health.post-returns-200"};
  auto results = RunConformance(c);
  EXPECT_EQ(WithOutcome(results, Outcome::kFail), Ids{"transport.latency-fresh-connection"})
      << Dump(results);
}

// The CLI end to end: env file in, report and JUnit out, exit status from the MUST cases.
// `output` gets stdout and, unless `stderr_redirect` sends it elsewhere, stderr.
int RunCli(const std::string& args, std::string& output, const char* stderr_redirect = " 2>&1") {
  const std::string cmd =
      std::string(XKS_BINARY_DIR) + "/conformance/xks-conformance " + args + stderr_redirect;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) output.append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string EnvFile(const Config& c) {
  return "XKS_ENDPOINT=" + c.endpoint + "\nXKS_URI_PREFIX=" + c.tenant.uri_prefix +
         "/kms/xks/v1\nXKS_ACCESS_KEY_ID=" + c.tenant.access_key_id +
         "\nXKS_SECRET_ACCESS_KEY=" + c.tenant.secret_access_key +
         "\nXKS_KEY_ID=" + c.tenant.key_id + "\nXKS_DISABLED_KEY_ID=" + c.disabled_key_id +
         "\nXKS_LATENCY_SAMPLES=2\n";
}

TEST(ConformanceCli, EnvFileJUnitAndExitStatus) {
  TempDir dir;
  auto good = StartPlain();
  ASSERT_TRUE(good);
  { std::ofstream(dir.File("good.env")) << EnvFile(good->MakeConfig()); }
  std::string out;
  EXPECT_EQ(RunCli("--env-file " + dir.File("good.env") + " --junit " + dir.File("good.xml"), out),
            0)
      << out;
  EXPECT_NE(out.find("RESULT: CONFORMANT"), std::string::npos) << out;
  std::ifstream xml(dir.File("good.xml"));
  std::stringstream ss;
  ss << xml.rdbuf();
  EXPECT_NE(ss.str().find("<testsuites name=\"xks-conformance\">"), std::string::npos);
  EXPECT_EQ(ss.str().find("<failure"), std::string::npos);
  EXPECT_NE(ss.str().find("<skipped"), std::string::npos);  // no tenant2 / other keys given

  auto bad = StartPlain(With(&Misbehaviour::reused_iv));
  ASSERT_TRUE(bad);
  { std::ofstream(dir.File("bad.env")) << EnvFile(bad->MakeConfig()); }
  out.clear();
  EXPECT_EQ(RunCli("--env-file " + dir.File("bad.env") + " --only encrypt.distinct-ivs", out), 1)
      << out;
  EXPECT_NE(out.find("FAIL  encrypt.distinct-ivs"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunCli("--list", out), 0);
  EXPECT_NE(out.find("encrypt.aad-8192-accepted"), std::string::npos);
  out.clear();
  EXPECT_EQ(RunCli("--endpoint ftp://x", out), 2) << out;
}

// --help is not an error: usage on stdout (and nothing else, stderr is merged), exit status 0.
TEST(ConformanceCli, HelpPrintsUsageAndExitsZero) {
  std::string out;
  EXPECT_EQ(RunCli("--help", out), 0) << out;
  EXPECT_EQ(out, Usage());
  out.clear();
  EXPECT_EQ(RunCli("--help", out, " 2>/dev/null"), 0);  // on stdout, not stderr
  EXPECT_EQ(out, Usage());
}

// Usage errors print one Problem a line (where, what, how to fix it) and exit with status 2.
TEST(ConformanceCli, UsageErrorsAreProblemsWithExitStatusTwo) {
  std::string out;
  EXPECT_EQ(RunCli("--frobnicate", out), 2) << out;
  EXPECT_EQ(out, "--frobnicate: unknown argument — see --help for the options\n");
  out.clear();
  EXPECT_EQ(RunCli("--endpoint ftp://x --access-key-id A --secret-access-key S", out), 2);
  EXPECT_EQ(out,
            "--endpoint: must start with https:// or http://: ftp://x — write https://host:port "
            "or http://host:port, e.g. https://xks.example:8443\n"
            "--key-id: missing — pass an enabled ENCRYPT+DECRYPT key id or set XKS_KEY_ID\n");
}

}  // namespace
}  // namespace xks::conformance::testing
