#include "conformance/session.h"

#include <algorithm>

namespace xks::conformance {

std::string Call::ErrorName() const {
  if (!json || !json->is_object()) return "";
  auto it = json->find("errorName");
  if (it == json->end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string Call::Describe() const {
  if (!ok()) return "no response: " + transport_error->ToString();
  std::string out = "HTTP " + std::to_string(response.status);
  std::string name = ErrorName();
  if (!name.empty()) return out + " errorName=" + name;
  std::string body = response.body.substr(0, 160);
  std::replace(body.begin(), body.end(), '\n', ' ');
  if (response.body.size() > 160) body += "...";
  return out + (body.empty() ? " (empty body)" : " body=" + body);
}

ConnectOptions Session::Connect(bool with_client_cert) const {
  ConnectOptions o;
  o.host = config_.host;
  o.port = config_.port;
  o.tls = config_.tls;
  o.server_name = config_.server_name;
  o.ca_file = config_.ca_file;
  o.insecure_skip_verify = config_.insecure_skip_verify;
  if (with_client_cert) {
    o.client_cert_file = config_.client_cert_file;
    o.client_key_file = config_.client_key_file;
  }
  return o;
}

std::string Session::HostHeader() const {
  const bool default_port =
      (config_.tls && config_.port == 443) || (!config_.tls && config_.port == 80);
  std::string host =
      config_.host.find(':') != std::string::npos ? "[" + config_.host + "]" : config_.host;
  return default_port ? host : host + ":" + std::to_string(config_.port);
}

HttpRequest Session::Build(const std::string& target, const std::string& body,
                           const SendOptions& options) const {
  HttpRequest req;
  req.method = options.method;
  req.target = target;
  req.body = body;
  const std::string amz_date = AmzDate(std::chrono::system_clock::now() + options.clock_skew);
  req.headers = {
      {"Host", HostHeader()}, {"X-Amz-Date", amz_date}, {"Content-Type", "application/json"}};
  if (options.sign) {
    const TenantConfig& t = options.tenant != nullptr ? *options.tenant : config_.tenant;
    SigningKey key{
        options.access_key_id_override.empty() ? t.access_key_id : options.access_key_id_override,
        options.secret_override.empty() ? t.secret_access_key : options.secret_override,
        config_.region, options.service};
    SigningInput in{req.method, target, "", req.headers, options.signed_headers, body};
    req.headers.emplace_back("Authorization", AuthorizationHeader(in, key, amz_date));
  }
  if (options.after_sign) options.after_sign(req);
  return req;
}

Call Session::SendOn(HttpConnection& conn, const std::string& target, const std::string& body,
                     const SendOptions& options) {
  Call call;
  auto resp = conn.RoundTrip(Build(target, body, options));
  if (!resp.ok()) {
    call.transport_error = std::move(resp).error();
    return call;
  }
  call.response = std::move(resp).value();
  auto parsed = nlohmann::json::parse(call.response.body, nullptr, false);
  if (!parsed.is_discarded()) call.json = std::move(parsed);
  return call;
}

Call Session::Send(const std::string& target, const std::string& body, const SendOptions& options) {
  auto conn = HttpConnection::Open(Connect(options.client_cert));
  if (!conn.ok()) {
    Call call;
    call.transport_error = std::move(conn).error();
    return call;
  }
  return SendOn(**conn, target, body, options);
}

}  // namespace xks::conformance
