// One request from the wire through the proxy's HTTP request path: Beast's parser with the
// server's header and body limits (ServerOptions defaults, as http_session.cc sets them), the
// framing checks (CheckRequestFraming), then XksService: routing, method, authentication, the
// body stage, policies, quotas, the key preamble and the operation, over the standard two-tenant
// test configuration (acme with the issue-15 policy) and an in-process fake HSM. Authentication is
// the test fake (header X-Test-Tenant names the tenant): SigV4 itself has its own targets.
// Properties: every answer has a status the XKS spec knows; a successful Encrypt decrypts back to
// its plaintext through the same path.

#include <boost/beast/http.hpp>
#include <memory>

#include "base/base64.h"
#include "proxy/api/testing/fakes.h"
#include "proxy/api/xks_service.h"
#include "proxy/server/http_framing.h"
#include "proxy/server/server.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace http = boost::beast::http;
using namespace xks;
using namespace xks::api::testing;  // NOLINT: test fakes

class DiscardingAuditSink : public audit::AuditSink {
 public:
  ProxyResult<std::uint64_t> Append(const audit::AuditEvent&) override { return ++seq_; }
  void AppendNoWait(audit::AuditEvent) override {}
  bool Healthy() const override { return true; }

 private:
  std::uint64_t seq_ = 0;
};

class DiscardingLogger : public api::Logger {
 public:
  void Log(api::LogLevel, std::string_view) override {}
};

// Built once: libFuzzer runs every input in this one process.
struct ServiceFixture {
  ServiceFixture() {
    nlohmann::json doc = StandardConfigJson(dir);
    doc["tenants"][0]["policy"] = config::testing::IssuePolicyJson();
    registry = BuildRegistry(doc, dir.path());
    const Key32 key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    for (const char* label : {"acme-k1", "acme-k2-v1", "acme-k2-v2", "acme-shared", "acme-off"}) {
      backend.AddKey("tok-acme", label, key);
    }
    for (const char* label : {"globex-k1", "globex-shared"})
      backend.AddKey("tok-globex", label, key);
    health = std::make_unique<api::HealthMonitor>(backend, api::HealthMonitorOptions{},
                                                  clock.AsFunction(), &logger);
    health->SetTokens(registry->TenantTokenIds());
    health->CheckNow();
    api::XksServiceOptions options;
    options.clock = clock.AsFunction();
    options.logger = &logger;
    options.watch_deadlines_in_background = false;
    service = std::make_unique<api::XksService>([this] { return registry; }, backend, auth, audit,
                                                *health, options);
  }
  TempDir dir;
  std::shared_ptr<const tenant::TenantRegistry> registry;
  FakeKeyBackend backend;
  FakeAuthenticator auth;
  DiscardingAuditSink audit;
  DiscardingLogger logger;
  ManualClock clock;
  std::unique_ptr<api::HealthMonitor> health;
  std::unique_ptr<api::XksService> service;
};

// The request as http_session.cc hands it on, or nullopt where the server answers 4xx itself.
std::optional<HttpRequest> ReadRequest(std::string_view wire) {
  const server::ServerOptions limits;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(wire.data(), wire.size()), ec);
  if (ec || !parser.is_header_done()) return std::nullopt;
  const auto& message = parser.get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.version = message.version() == 10 ? 10 : 11;
  for (const auto& field : message) {
    request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  if (!server::CheckRequestFraming(request.version, request.headers).ok()) return std::nullopt;
  if (!parser.is_done()) return std::nullopt;  // the body is incomplete: the server would wait
  request.body = message.body();
  request.connection.peer_address = "192.0.2.7:5555";
  request.connection.tls = true;
  return request;
}

void CheckEncryptRoundTrip(ServiceFixture& f, HttpRequest request, const HttpResponse& sealed) {
  const auto out = nlohmann::json::parse(sealed.body, nullptr, false);
  const auto in = nlohmann::json::parse(request.body, nullptr, false);
  XKS_FUZZ_CHECK(out.is_object() && in.is_object());
  nlohmann::json body = {{"requestMetadata", in["requestMetadata"]}};
  body["requestMetadata"]["kmsOperation"] = "Decrypt";
  body["requestMetadata"].erase("kmsViaService");  // the policy may deny S3's decrypts
  for (const char* field :
       {"ciphertext", "initializationVector", "authenticationTag", "ciphertextMetadata"}) {
    if (out.contains(field)) body[field] = out[field];
  }
  for (const char* field : {"additionalAuthenticatedData", "encryptionAlgorithm"}) {
    if (in.contains(field)) body[field] = in[field];
  }
  request.target.replace(request.target.rfind("/encrypt"), 8, "/decrypt");
  request.body = body.dump();
  const HttpResponse opened = f.service->Handle(request);
  XKS_FUZZ_CHECK(opened.status == 200);
  XKS_FUZZ_CHECK(nlohmann::json::parse(opened.body)["plaintext"] == in["plaintext"]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ServiceFixture fixture;  // one-time (its temporary directory goes at exit)
  const std::optional<HttpRequest> request = ReadRequest(xks::fuzz::AsText(data, size));
  if (!request) return 0;
  const HttpResponse response = fixture.service->Handle(*request);
  XKS_FUZZ_CHECK(response.status >= 200 && response.status <= 503);
  const bool encrypted =
      response.status == 200 && request->method == "POST" && request->target.ends_with("/encrypt");
  if (encrypted) CheckEncryptRoundTrip(fixture, *request, response);
  return 0;
}
