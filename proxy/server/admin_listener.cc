#include "proxy/server/admin_listener.h"

#include <span>
#include <string_view>

#include "proxy/server/small_listener.h"

namespace xks::server {
namespace {

constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
// A handful of scrapers (Prometheus, an operator's curl): a flood cannot take more than this.
constexpr std::size_t kAdminMaxConnections = 16;

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  response.body = std::move(body);
  return response;
}

bool BearerTokenMatches(const HttpRequest& request, const SecretBytes& token) {
  // Exactly one Authorization header, "Bearer " and the token; the comparison time depends only
  // on the lengths.
  if (request.HeaderCount("Authorization") != 1) return false;
  const std::string_view value = *request.Header("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() || value.substr(0, kScheme.size()) != kScheme) return false;
  const std::string_view presented = value.substr(kScheme.size());
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(presented.data()),
                                            presented.size());
  return ConstantTimeEquals(bytes, token.span());
}

ServerOptions AdminListenerServerOptions(const AdminListenerOptions& options) {
  SmallListenerShape shape;
  shape.address = options.address;
  shape.port = options.port;
  shape.tls = options.tls;
  shape.read_timeout = options.read_timeout;
  shape.write_timeout = options.write_timeout;
  shape.idle_timeout = options.idle_timeout;
  shape.time_budget = std::chrono::milliseconds(5000);  // a scrape renders in microseconds
  shape.max_connections = kAdminMaxConnections;
  shape.queue_limit = 4;
  return SmallListenerOptions(shape);
}

}  // namespace

HttpResponse HandleAdminRequest(const HttpRequest& request, const SecretBytes& bearer_token,
                                const MetricsRender& render) {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != kMetricsPath) return Text(404, "not found\n");
  if (request.method != "GET") {
    HttpResponse response = Text(405, "only GET\n");
    response.headers.push_back({"Allow", "GET"});
    return response;
  }
  if (!bearer_token.empty() && !BearerTokenMatches(request, bearer_token)) {
    HttpResponse response = Text(401, "bearer token required\n");
    response.headers.push_back({"WWW-Authenticate", "Bearer"});
    return response;
  }
  HttpResponse response;
  response.headers.push_back({"Content-Type", std::string(kMetricsContentType)});
  response.body = render();
  return response;
}

AdminListener::AdminListener(AdminListenerOptions options, MetricsRender render)
    : token_(std::make_unique<SecretBytes>(std::move(options.bearer_token))) {
  const SecretBytes* token = token_.get();
  server_ = std::make_unique<Server>(
      AdminListenerServerOptions(options),
      Handler([token, render = std::move(render)](const HttpRequest& request) {
        return HandleAdminRequest(request, *token, render);
      }));
}

AdminListener::~AdminListener() { Shutdown(std::chrono::milliseconds(0)); }

Result<void, Problem> AdminListener::Start() { return server_->Start(); }
std::uint16_t AdminListener::port() const { return server_->port(); }
void AdminListener::Shutdown(std::chrono::milliseconds grace) { server_->Shutdown(grace); }

}  // namespace xks::server
