// SerializeConfig against ParseConfig: parse -> serialise -> parse gives the same structures, for
// the standard test configuration and for a document that sets every field; the serialised
// document is still checked field by field (an unknown field is refused with its path).

#include <gtest/gtest.h>

#include <algorithm>
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
// The same for the short form xksctl writes (defaults left out).
void ExpectRoundTrip(const json& doc, const std::string& base_dir) {
  auto first = ParseConfig(doc, base_dir);
  ASSERT_TRUE(first.ok()) << FormatProblems(first.error());
  const json written = SerializeConfig(*first);
  auto second = ParseConfig(written, "/nonexistent-base-dir");
  ASSERT_TRUE(second.ok()) << FormatProblems(second.error()) << written.dump(2);
  EXPECT_TRUE(*first == *second) << written.dump(2);
  EXPECT_EQ(SerializeConfig(*second), written) << "serialising is not stable";

  const SerializeOptions short_form{.omit_defaults = true};
  const json short_written = SerializeConfig(*first, short_form);
  auto third = ParseConfig(short_written, base_dir);
  ASSERT_TRUE(third.ok()) << FormatProblems(third.error()) << short_written.dump(2);
  EXPECT_TRUE(*first == *third) << short_written.dump(2);
  EXPECT_EQ(SerializeConfig(*third, short_form), short_written) << "short form is not stable";
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
                   {"ping_path", "/lb/ping"},
                   {"max_concurrent_hsm", 64}};
  doc["api"] = {{"max_plaintext_bytes", 5000},
                {"max_ciphertext_bytes", 5001},
                {"max_aad_bytes", 9000},
                {"max_arn_chars", 3000},
                {"verify_encrypt", "always"},
                {"key_attribute_cache_ttl_ms", 0},
                {"health_check_interval_ms", 1000},
                {"health_degraded_latency_ms", 50},
                {"health_check_timeout_ms", 1500},
                {"health_probe_interval_ms", 500},
                {"health_live_failure_run", 5},
                {"health_live_failure_window_ms", 20000},
                {"fleet_size", 3},
                {"ekm_vendor", "Example HSM"}};
  doc["hsm"]["modules"][0]["generate_iv_in_hsm"] = true;
  doc["hsm"]["modules"][0]["initialize_parameters"] = "configdir='/etc/nss'";
  doc["hsm"]["tokens"][0]["max_sessions"] = 6;
  doc["hsm"]["tokens"][0]["max_stuck_calls"] = 4;
  doc["hsm"]["tokens"][0]["queue_limit"] = 64;
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
  doc["tenants"][0]["quota"] = {
      {"requests_per_second", 500}, {"burst", 1000}, {"max_concurrent_hsm", 32}};
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

TEST(ConfigRoundTripTest, HealthThresholdsAtTheirBounds) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["api"] = {{"health_check_timeout_ms", 10},
                {"health_probe_interval_ms", 60000},
                {"health_live_failure_run", 0},
                {"health_live_failure_window_ms", 600000}};
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(parsed->api.health_check_timeout, std::chrono::milliseconds(10));
  EXPECT_EQ(parsed->api.health_probe_interval, std::chrono::milliseconds(60000));
  EXPECT_EQ(parsed->api.health_live_failure_run, 0u) << "0 turns live outcomes off";
  EXPECT_EQ(parsed->api.health_live_failure_window, std::chrono::milliseconds(600000));
  ExpectRoundTrip(doc, dir.path());
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

TEST(ConfigRoundTripTest, TheShortFormLeavesOutDefaultsAndKeepsWhatIsSet) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["server"]["io_threads"] = 3;
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  const json full = SerializeConfig(*parsed);
  const json brief = SerializeConfig(*parsed, {.omit_defaults = true});
  EXPECT_TRUE(full["server"].contains("worker_threads"));
  EXPECT_FALSE(brief["server"].contains("worker_threads")) << brief.dump(2);
  EXPECT_EQ(brief["server"]["io_threads"], 3);
  EXPECT_FALSE(brief["hsm"]["tokens"][0].contains("copy_keys_to_session_objects"));
  EXPECT_TRUE(brief["hsm"]["tokens"][0].contains("health_check_key"));  // required
  EXPECT_FALSE(brief["audit"].contains("checkpoint_every"));
  EXPECT_TRUE(brief["audit"].contains("instance_id"));
  EXPECT_FALSE(brief.contains("api")) << "an api section of defaults only is left out";
  for (const auto& version : brief["tenants"][0]["keys"].begin()->at("versions")) {
    EXPECT_TRUE(version.contains("version")) << "required even when it is 1";
    EXPECT_FALSE(version.contains("retired"));
  }
}

// What SerializeKeepingHandWrittenForm writes for `config`, which came from `original`.
json Rewrite(const Config& config, const json& original, const TempDir& dir) {
  return SerializeKeepingHandWrittenForm(config, original, dir.path());
}

TEST(ConfigRoundTripTest, CommentKeysAreCarriedToTheSamePlaces) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["_comment"] = "top";
  doc["server"]["_note"] = "listener";
  doc["tenants"][1]["_owner"] = "team b";
  doc["hsm"]["tokens"][0]["_rack"] = 7;
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  const json written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["_comment"], "top");
  EXPECT_EQ(written["server"]["_note"], "listener");
  EXPECT_EQ(written["hsm"]["tokens"][0]["_rack"], 7);
  // Entries are matched by name, not position (ParseConfig sorts tenants by name).
  for (const auto& t : written["tenants"]) {
    EXPECT_EQ(t.contains("_owner"), t["name"] == doc["tenants"][1]["name"]) << t.dump();
  }
  auto again = ParseConfig(written, dir.path());
  ASSERT_TRUE(again.ok()) << FormatProblems(again.error());
  EXPECT_TRUE(*parsed == *again);
}

TEST(ConfigRoundTripTest, DefaultsTheOperatorSpeltOutStayWhileTheyHold) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["server"]["worker_threads"] = ServerConfig{}.worker_threads;
  doc["api"] = {{"fleet_size", 1}};
  doc["tenants"][0]["disabled"] = true;
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  json written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["server"]["worker_threads"], ServerConfig{}.worker_threads);
  EXPECT_EQ(written["api"], json({{"fleet_size", 1}}));
  EXPECT_FALSE(written["server"].contains("queue_limit")) << "never written: stays out";
  // A value the edit set back to its default is left out, not kept at its old value.
  parsed->tenants[0].disabled = false;
  written = Rewrite(*parsed, doc, dir);
  EXPECT_FALSE(written["tenants"][0].contains("disabled")) << written["tenants"][0].dump();
}

TEST(ConfigRoundTripTest, RelativePathsKeepTheirSpellingWhileTheyNameTheSameFile) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["tenants"][0]["credentials"][0]["secret"]["file"] = "acme.secret";
  dir.WriteFile("other.secret", testing::kAcmeSecret);
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  ASSERT_EQ(parsed->tenants[0].credentials[0].secret_ref.where, dir.path() + "/acme.secret");

  json written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["tenants"][0]["credentials"][0]["secret"]["file"], "acme.secret");
  // A path the edit changed is written as the structures hold it.
  parsed->tenants[0].credentials[0].secret_ref.where = dir.path() + "/other.secret";
  written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["tenants"][0]["credentials"][0]["secret"]["file"],
            dir.path() + "/other.secret");
  // Only path fields are respelt: a label that happens to look like a resolved path stays.
  doc["hsm"]["tokens"][0]["health_check_key"] = "hc";
  parsed->hsm.tokens[0].health_check_key = dir.path() + "/hc";
  written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["hsm"]["tokens"][0]["health_check_key"], dir.path() + "/hc");
}

TEST(ConfigRoundTripTest, AKeyInTheShortFormStaysShortUntilItGainsAVersion) {
  TempDir dir;
  json doc = StandardConfigJson(dir);
  doc["tenants"][0]["keys"]["short"] = {{"label", "short-v1"}};
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  ASSERT_TRUE(SerializeConfig(*parsed)["tenants"][0]["keys"]["short"].contains("versions"));
  json written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["tenants"][0]["keys"]["short"], json({{"label", "short-v1"}}));

  KeyConfig& key = *std::find_if(parsed->tenants[0].keys.begin(), parsed->tenants[0].keys.end(),
                                 [](const KeyConfig& k) { return k.external_key_id == "short"; });
  key.versions.push_back({.version = 2, .label = "short-v2"});
  written = Rewrite(*parsed, doc, dir);
  EXPECT_EQ(written["tenants"][0]["keys"]["short"]["versions"].size(), 2u) << written.dump(2);
  auto again = ParseConfig(written, dir.path());
  ASSERT_TRUE(again.ok()) << FormatProblems(again.error());
  EXPECT_TRUE(*parsed == *again);
}

TEST(ConfigRoundTripTest, TheHandWrittenFormOfTheStandardFileSurvivesUnchanged) {
  TempDir dir;
  const json doc = StandardConfigJson(dir);
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  EXPECT_EQ(Rewrite(*parsed, doc, dir), doc) << "an edit that changes nothing rewrites nothing";
}

// acme on a fleet of two tokens (`members` of them listed; 1 keeps one in a list).
json FleetDocument(TempDir& dir, std::size_t members) {
  json doc = StandardConfigJson(dir);
  doc["hsm"]["tokens"].push_back({{"id", "tok-acme-b"},
                                  {"module", "soft"},
                                  {"token", "acme-b"},
                                  {"pin", {{"file", "acme.pin"}}},
                                  {"health_check_key", "hc"}});
  doc["tenants"][0].erase("token");
  doc["tenants"][0]["tokens"] = json::array({"tok-acme"});
  if (members == 2) doc["tenants"][0]["tokens"].push_back("tok-acme-b");
  return doc;
}

TEST(ConfigRoundTripTest, AFleetIsWrittenAsTokensAndOneTokenAsToken) {
  TempDir dir;
  const json doc = FleetDocument(dir, 2);
  ExpectRoundTrip(doc, dir.path());
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  const json full = SerializeConfig(*parsed);
  for (const auto& t : full["tenants"]) {
    if (t["name"] == "acme") {
      EXPECT_EQ(t["tokens"], json::array({"tok-acme", "tok-acme-b"}));
      EXPECT_FALSE(t.contains("token"));
    } else {
      EXPECT_EQ(t["token"], "tok-globex");
      EXPECT_FALSE(t.contains("tokens"));
    }
  }
}

TEST(ConfigRoundTripTest, AFleetOfOneWrittenAsAListStaysAList) {
  TempDir dir;
  const json doc = FleetDocument(dir, 1);
  auto parsed = ParseConfig(doc, dir.path());
  ASSERT_TRUE(parsed.ok()) << FormatProblems(parsed.error());
  const json written = Rewrite(*parsed, doc, dir);
  for (const auto& t : written["tenants"]) {
    if (t["name"] != "acme") continue;
    EXPECT_EQ(t["tokens"], json::array({"tok-acme"})) << t.dump();
    EXPECT_FALSE(t.contains("token"));
  }
  auto again = ParseConfig(written, dir.path());
  ASSERT_TRUE(again.ok()) << FormatProblems(again.error());
  EXPECT_TRUE(*parsed == *again);
}

}  // namespace
}  // namespace xks::config
