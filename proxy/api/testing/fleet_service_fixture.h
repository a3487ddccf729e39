#pragma once
// The XksService fleet fixture (tests only): a FakeKeyBackend with fleet behaviour (members that
// fail every Encrypt/Decrypt while listed as failing, a record of which member each call
// reached, a hold that keeps scheduled work waiting like a hung token, a refusal at scheduling
// like a full one), and a service on the standard configuration with acme served by two tokens.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/base64.h"
#include "proxy/api/testing/fakes.h"
#include "proxy/api/xks_service.h"

namespace xks::api::testing {

// The fake HSM, with members that fail every Encrypt/Decrypt while listed in `failing`, and a
// record of which member each call reached.
class FleetBackend : public FakeKeyBackend {
 public:
  ProxyResult<SealedData> Encrypt(const KeyLocation& key, std::span<const std::uint8_t> plaintext,
                                  std::span<const std::uint8_t> hsm_aad,
                                  Deadline deadline) override {
    if (auto failure = Attempt(key)) return Fail(std::move(*failure));
    return FakeKeyBackend::Encrypt(key, plaintext, hsm_aad, deadline);
  }
  ProxyResult<SecretBytes> Decrypt(const KeyLocation& key, std::span<const std::uint8_t> iv,
                                   std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t> tag,
                                   std::span<const std::uint8_t> hsm_aad,
                                   Deadline deadline) override {
    if (auto failure = Attempt(key)) return Fail(std::move(*failure));
    return FakeKeyBackend::Decrypt(key, iv, ciphertext, tag, hsm_aad, deadline);
  }
  void SetFailing(const std::string& token, ErrorName name) {
    std::lock_guard l(fleet_mu_);
    failing_[token] = name;
  }
  void ClearFailing() {
    std::lock_guard l(fleet_mu_);
    failing_.clear();
  }
  std::vector<std::string> TakeReached() {
    std::lock_guard l(fleet_mu_);
    return std::exchange(reached_, {});
  }
  std::function<void()> on_failure;  ///< runs after each injected failure (e.g. a clock step)
  /// While set, Schedule refuses all work with it (set before the requests; not synchronised).
  std::optional<Error> refusal;

  /// While holding, scheduled work waits here instead of running (a hung or backed-up token).
  void Schedule(std::string_view token_id, Deadline deadline, HsmWork work) override {
    if (refusal) {
      // What a full or stuck token does: the work never runs (the retry may schedule again).
      Error refused = *refusal;
      return work(Fail(std::move(refused)));
    }
    {
      std::lock_guard l(fleet_mu_);
      if (holding_) {
        held_.push_back(std::move(work));
        return;
      }
    }
    FakeKeyBackend::Schedule(token_id, deadline, std::move(work));
  }
  void Hold() {
    std::lock_guard l(fleet_mu_);
    holding_ = true;
  }
  /// Runs the held work now (the HSM answers at last).
  void Release() {
    std::vector<HsmWork> held;
    {
      std::lock_guard l(fleet_mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (HsmWork& work : held) work(ProxyResult<void>{});
  }

 private:
  std::optional<Error> Attempt(const KeyLocation& key) {
    std::optional<ErrorName> name;
    {
      std::lock_guard l(fleet_mu_);
      reached_.push_back(key.token_id);
      if (auto it = failing_.find(key.token_id); it != failing_.end()) name = it->second;
    }
    if (!name) return std::nullopt;
    if (on_failure) on_failure();
    return MakeError(*name, "injected", "injected failure on " + key.token_id);
  }
  std::mutex fleet_mu_;
  std::map<std::string, ErrorName> failing_;
  std::vector<std::string> reached_;
  bool holding_ = false;
  std::vector<HsmWork> held_;
};

constexpr Key32 kFleetKey = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3,
                             2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5};

// An XksService on the standard configuration with acme served by a fleet of two tokens
// (tok-acme, tok-acme-b), a FleetBackend, a hand-driven clock and deadline watch.
class FleetServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = StandardConfigJson(dir_);
    doc_["hsm"]["tokens"].push_back({{"id", "tok-acme-b"},
                                     {"module", "soft"},
                                     {"token", "acme-b"},
                                     {"pin", {{"file", "acme.pin"}}},
                                     {"health_check_key", "hc"}});
    doc_["tenants"][0].erase("token");
    doc_["tenants"][0]["tokens"] = {"tok-acme", "tok-acme-b"};
    registry_ = BuildRegistry(doc_, dir_.path());
    for (const char* token : {"tok-acme", "tok-acme-b"})
      backend_.AddKey(token, "acme-k1", kFleetKey);
    backend_.AddKey("tok-globex", "globex-k1", kFleetKey);
    health_ =
        std::make_unique<HealthMonitor>(backend_, HealthMonitorOptions{}, clock_.AsFunction());
    health_->SetTokens(registry_->TenantTokenIds());
    health_->CheckNow();
    XksServiceOptions options;
    options.clock = clock_.AsFunction();
    options.logger = &logger_;
    options.watch_deadlines_in_background = false;  // AnswerRequestsPastDeadline, by hand
    service_ = std::make_unique<XksService>([this] { return registry_; }, backend_, auth_, audit_,
                                            *health_, options);
  }

  /// A reload: the next request sees the changed configuration (single-threaded tests only).
  void Reconfigure(const std::function<void(nlohmann::json&)>& change) {
    change(doc_);
    registry_ = BuildRegistry(doc_, dir_.path());
  }
  static HttpRequest Request(const std::string& tenant, const std::string& path,
                             const nlohmann::json& body) {
    HttpRequest r;
    r.method = "POST";
    r.target = (tenant == "acme" ? "/acme" : "") + std::string("/kms/xks/v1/") + path;
    r.body = body.dump();
    r.headers = {{"Host", "xks.example.com"},
                 {"Content-Type", "application/json"},
                 {"X-Test-Tenant", tenant},
                 {"X-Test-Access-Key", tenant == "acme" ? kAcmeAccessKey : kGlobexAccessKey}};
    r.connection.peer_address = "192.0.2.7:5555";
    r.connection.tls = true;
    return r;
  }
  HttpResponse Call(const std::string& tenant, const std::string& path,
                    const nlohmann::json& body) {
    return service_->Handle(Request(tenant, path, body));
  }
  static nlohmann::json Metadata(const char* op) {
    return {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
            {"kmsKeyArn", "arn:aws:kms:us-east-2:123456789012:/key/1234abcd"},
            {"kmsOperation", op},
            {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"}};
  }
  static nlohmann::json EncryptBody() {
    return {{"requestMetadata", Metadata("Encrypt")},
            {"plaintext", Base64Encode(std::vector<std::uint8_t>{1, 2, 3})},
            {"encryptionAlgorithm", "AES_GCM"}};
  }
  HttpResponse Encrypt(const std::string& tenant = "acme") {
    return Call(tenant, "keys/k1/encrypt", EncryptBody());
  }
  static std::string ErrorNameOf(const HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false).value("errorName", "");
  }
  /// Whether any log line so far contains `part`.
  bool Logged(const std::string& part) const {
    for (const std::string& line : logger_.lines()) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }

  TempDir dir_;
  nlohmann::json doc_;
  std::shared_ptr<const tenant::TenantRegistry> registry_;
  FleetBackend backend_;
  FakeAuthenticator auth_;
  RecordingAuditSink audit_;
  RecordingLogger logger_;
  ManualClock clock_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<XksService> service_;
};

}  // namespace xks::api::testing
