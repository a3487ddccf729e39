#include "proxy/server/health_listener.h"

#include <string_view>
#include <utility>

#include "proxy/server/small_listener.h"

namespace xks::server {
namespace {

HttpResponse CheckAnswer(int status, std::string body, bool head) {
  HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "application/json"});
  response.headers.push_back({"Cache-Control", "no-store"});
  if (!head) response.body = std::move(body);
  return response;
}

ServerOptions HealthListenerServerOptions(const HealthListenerOptions& options) {
  SmallListenerShape shape;
  shape.address = options.address;
  shape.port = options.port;
  shape.tls = options.tls;
  shape.read_timeout = options.read_timeout;
  shape.write_timeout = options.write_timeout;
  shape.idle_timeout = options.idle_timeout;
  shape.time_budget = std::chrono::milliseconds(1000);  // an answer from cached state
  shape.max_connections = 64;                           // a balancer keeps a few connections
  shape.queue_limit = 16;
  return SmallListenerOptions(shape);
}

}  // namespace

HttpResponse HandleHealthCheck(const HttpRequest& request, const std::string& ping_path,
                               const std::function<bool()>& can_serve) {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool head = request.method == "HEAD";
  if (path != ping_path) return CheckAnswer(404, "{\"status\":\"NOT_FOUND\"}", head);
  if (request.method != "GET" && !head) {
    HttpResponse response = CheckAnswer(405, "{\"status\":\"METHOD_NOT_ALLOWED\"}", false);
    response.headers.push_back({"Allow", "GET, HEAD"});
    return response;
  }
  if (can_serve && !can_serve()) return CheckAnswer(503, "{\"status\":\"UNAVAILABLE\"}", head);
  return CheckAnswer(200, "{\"status\":\"OK\"}", head);
}

HealthListener::HealthListener(HealthListenerOptions options) {
  auto handler = [path = options.ping_path, can_serve = options.can_serve](const HttpRequest& r) {
    return HandleHealthCheck(r, path, can_serve);
  };
  server_ =
      std::make_unique<Server>(HealthListenerServerOptions(options), Handler(std::move(handler)));
}

HealthListener::~HealthListener() { Shutdown(std::chrono::milliseconds(0)); }

Result<void, Problem> HealthListener::Start() { return server_->Start(); }
std::uint16_t HealthListener::port() const { return server_->port(); }
void HealthListener::Shutdown(std::chrono::milliseconds grace) { server_->Shutdown(grace); }

}  // namespace xks::server
