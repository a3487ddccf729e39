#pragma once
// Per-run state shared by the cases: connection settings, signing and request helpers.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/problem.h"
#include "conformance/config.h"
#include "conformance/http_client.h"

namespace xks::conformance {

/// How one request is signed and altered. The defaults sign like AWS KMS does.
struct SendOptions {
  const TenantConfig* tenant = nullptr;  // credentials; nullptr means the primary tenant
  std::string method = "POST";
  bool sign = true;
  std::string access_key_id_override;
  std::string secret_override;
  std::string service = "kms-xks-proxy";
  std::chrono::seconds clock_skew{0};
  std::vector<std::string> signed_headers = {"host", "x-amz-date"};
  // Applied after signing, to tamper with what is sent.
  std::function<void(HttpRequest&)> after_sign;
  bool client_cert = true;  // present the configured mTLS certificate
};

/// The result of one exchange: a transport error, or a response with its parsed JSON body.
struct Call {
  std::optional<Problem> transport_error;  // set when no HTTP response was received
  HttpResponse response;
  std::optional<nlohmann::json> json;  // set when the body parsed as JSON

  bool ok() const { return !transport_error.has_value(); }
  int status() const { return ok() ? response.status : 0; }
  /// errorName from a JSON error body, or "".
  std::string ErrorName() const;
  /// One-line description for reports: status, errorName or a short body excerpt.
  std::string Describe() const;
};

/// Runner context. Single-threaded.
class Session {
 public:
  explicit Session(const Config& config) : config_(config) {}

  const Config& config() const { return config_; }

  /// "<prefix>/kms/xks/v1" for a tenant.
  std::string Base(const TenantConfig& t) const { return t.uri_prefix + "/kms/xks/v1"; }
  /// "<base>/keys/<key>/<op>" for the primary tenant.
  std::string KeyPath(const std::string& key, const std::string& op) const {
    return Base(config_.tenant) + "/keys/" + key + "/" + op;
  }
  std::string HealthPath() const { return Base(config_.tenant) + "/health"; }

  /// Connection settings for this endpoint.
  ConnectOptions Connect(bool with_client_cert = true) const;

  /// The value of the Host header (and of the signed "host").
  std::string HostHeader() const;

  /// Builds (and unless disabled, signs) a request for `target` with `body`.
  HttpRequest Build(const std::string& target, const std::string& body,
                    const SendOptions& options = {}) const;

  /// Opens a new connection, sends one request, returns the response.
  Call Send(const std::string& target, const std::string& body, const SendOptions& options = {});

  /// Sends on an existing connection.
  Call SendOn(HttpConnection& conn, const std::string& target, const std::string& body,
              const SendOptions& options = {});

 private:
  const Config& config_;
};

}  // namespace xks::conformance
