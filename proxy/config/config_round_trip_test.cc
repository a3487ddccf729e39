// SerializeConfig against ParseConfig: parse -> serialise -> parse gives the same structures, for
// the standard test configuration and for a document that sets every field; the serialised
// document is still checked field by field (an unknown field is refused with its path).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "proxy/config/config.h"
#include "proxy/config/testing/config_fixture.h"

namespace xks::config {
namespace {

using nlohmann::json;
using testing::StandardConfigJson;
using testing::TempDir;

// Parses `doc`, serialises the result and parses that again (with an unrelated base_dir: every
// path in the serialised form is absolute), expecting equal structures.
void ExpectRoundTrip(const json& doc, const std::string& base_dir) {
  auto first = ParseConfig(doc, base_dir);
  ASSERT_TRUE(first.ok()) << FormatProblems(first.error());
  const json written = SerializeConfig(*first);
  auto second = ParseConfig(written, "/nonexistent-base-dir");
  ASSERT_TRUE(second.ok()) << FormatProblems(second.error()) << written.dump(2);
  EXPECT_TRUE(*first == *second) << written.dump(2);
  EXPECT_EQ(SerializeConfig(*second), written) << "serialising is not stable";
}

// Every field of the schema set to a value other than its default.
json EveryFieldDocument(TempDir& dir) {
  json doc = StandardConfigJson(dir);
  dir.WriteFile("chain.pem", "-----BEGIN CERTIFICATE-----\n");
  dir.WriteFile("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  dir.WriteFile("server.key", "-----BEGIN PRIVATE KEY-----\n", 0600);
  doc["server"] = {{"listen_address", "127.0.0.1"},
                   {"port", 8443},
                   {"tls",
                    {{"certificate_chain_file", "chain.pem"},
                     {"private_key_file", "server.key"},
                     {"client_ca_file", "ca.pem"},
                     {"allowed_client_common_names", {"cks.kms.eu-west-1.amazonaws.com"}}}},
                   {"io_threads", 3},
                   {"worker_threads", 5},
                   {"queue_limit", 99},
                   {"low_priority_queue_limit", 7},
                   {"hsm_time_budget_ms", 150},
                   {"read_timeout_ms", 4000},
                   {"write_timeout_ms", 4500},
                   {"idle_timeout_ms", 30000},
                   {"unauthenticated_idle_timeout_ms", 2000},
                   {"max_connections", 100},
                   {"max_connections_per_address", 10},
                   {"max_handshakes_in_progress", 8},
                   {"max_body_bytes", 32768},
                   {"ping_path", "/lb/ping"}};
  doc["api"] = {{"max_plaintext_bytes", 5000},
                {"max_ciphertext_bytes", 5001},
                {"max_aad_bytes", 9000},
                {"max_arn_chars", 3000},
                {"verify_encrypt", "always"},
                {"key_attribute_cache_ttl_ms", 0},
                {"health_check_interval_ms", 1000},
                {"health_degraded_latency_ms", 50},
                {"fleet_size", 3},
                {"ekm_vendor", "Example HSM"}};
  doc["hsm"]["modules"][0]["generate_iv_in_hsm"] = true;
  doc["hsm"]["modules"][0]["initialize_parameters"] = "configdir='/etc/nss'";
  doc["hsm"]["tokens"][0]["max_sessions"] = 6;
  doc["hsm"]["tokens"][0]["max_stuck_calls"] = 4;
  doc["hsm"]["tokens"][0]["copy_keys_to_session_objects"] = true;
  doc["hsm"]["tokens"].push_back({{"id", "audit-token"},
                                  {"module", "soft"},
                                  {"token", "audit"},
                                  {"pin", {{"env", "XKS_TEST_AUDIT_PIN"}}},
                                  {"health_check_key", "hc"}});
  doc["audit"] = {{"directory", "/var/lib/xks/audit"},
                  {"file_prefix", "proxy"},
                  {"instance_id", "proxy-a"},
                  {"durability", "write"},
                  {"checkpoint_interval_ms", 500},
                  {"checkpoint_every", 50},
                  {"rotate_bytes", 1 << 20},
                  {"rotate_interval_s", 3600},
                  {"signer_grace_ms", 1000},
                  {"retry_interval_ms", 100},
                  {"mirror", "syslog"},
                  {"signer", {{"type", "pkcs11"}, {"token", "audit-token"}, {"key_label", "ckpt"}}},
                  {"refusal_aggregation_interval_ms", 0},
                  {"refusal_aggregation_max_sources", 16}};
  doc["tenants"][1]["disabled"] = true;
  return doc;
}

TEST(ConfigRoundTripTest, StandardConfiguration) {
  TempDir dir;
  ExpectRoundTrip(StandardConfigJson(dir), dir.path());
}

TEST(ConfigRoundTripTest, EveryFieldSet) {
  TempDir dir;
  ::setenv("XKS_TEST_AUDIT_PIN", "1234", 1);
  ExpectRoundTrip(EveryFieldDocument(dir), dir.path());
  ::unsetenv("XKS_TEST_AUDIT_PIN");
}

TEST(ConfigRoundTripTest, FileSignerAndInsecureServer) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["audit"]["signer"] = {{"type", "file"}, {"key_file", "/etc/xks/audit.pem"}};
  ExpectRoundTrip(doc, dir.path());
}

TEST(ConfigRoundTripTest, TheSerialisedDocumentStillRefusesUnknownFields) {
  TempDir dir;
  auto parsed = ParseConfig(StandardConfigJson(dir), dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  for (const char* where : {"server", "api", "audit", "signer"}) {
    json written = SerializeConfig(*parsed);
    json& target = std::string(where) == "signer" ? written["audit"]["signer"] : written[where];
    target["colour"] = "blue";
    auto again = ParseConfig(written, dir.path());
    ASSERT_FALSE(again.ok()) << where;
    const std::string expected_path =
        std::string(where) == "signer" ? "audit.signer.colour" : std::string(where) + ".colour";
    bool found = false;
    for (const Problem& p : again.error()) found |= p.path == expected_path;
    EXPECT_TRUE(found) << FormatProblems(again.error());
  }
}

TEST(ConfigRoundTripTest, SecretsAreWrittenAsReferencesNeverAsValues) {
  TempDir dir;
  auto parsed = ParseConfig(StandardConfigJson(dir), dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  const std::string written = SerializeConfig(*parsed).dump();
  EXPECT_EQ(written.find(testing::kAcmeSecret), std::string::npos);
  EXPECT_EQ(written.find(testing::kGlobexSecret), std::string::npos);
  EXPECT_NE(written.find(dir.path() + "/acme.secret"), std::string::npos) << written;
}

}  // namespace
}  // namespace xks::config
