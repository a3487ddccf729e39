// `xksctl health`: a SigV4-signed GetHealthStatus request to a running proxy, with the tenant's
// own credential from the configuration, over HTTPS (or plain HTTP for an insecure test listener).

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <sstream>

#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_signer.h"
#include "proxy/config/config.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Endpoint {
  bool tls = true;
  std::string host;
  std::string port;
};

Endpoint ParseEndpoint(const std::string& url) {
  Endpoint e;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    e.tls = false;
    rest = url.substr(7);
  } else {
    throw UsageError("--endpoint must start with https:// or http://");
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/") {
      throw UsageError("--endpoint is scheme://host[:port] only; the tenant's prefix is added");
    }
    rest.resize(slash);
  }
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) throw UsageError("--endpoint: unterminated IPv6 address");
    e.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') e.port = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    e.host = rest.substr(0, colon);
    e.port = rest.substr(colon + 1);
  } else {
    e.host = rest;
  }
  if (e.host.empty()) throw UsageError("--endpoint has no host");
  if (e.port.empty()) e.port = e.tls ? "443" : "80";
  return e;
}

template <typename Stream>
http::response<http::string_body> Exchange(Stream& stream, http::request<http::string_body>& req) {
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return res;
}

// The credential the health check signs with: --access-key-id's, or the tenant's first one.
// Its secret was read when the configuration was loaded.
const config::CredentialConfig& FindCredential(const config::TenantConfig& tenant,
                                               const std::string& wanted) {
  for (const config::CredentialConfig& c : tenant.credentials) {
    if (wanted.empty() || c.access_key_id == wanted) return c;
  }
  throw OperationError("tenant " + tenant.name + " has no credential" +
                       (wanted.empty() ? std::string() : " " + wanted));
}

// One POST of `req` to the endpoint (TLS unless http://), verifying the server as the options
// say, within `timeout`. Network and TLS failures become OperationError.
http::response<http::string_body> SendOnce(const Endpoint& ep,
                                           http::request<http::string_body>& req,
                                           const ParsedArgs& args, std::chrono::seconds timeout) {
  http::response<http::string_body> res;
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(ep.host, ep.port);
    if (ep.tls) {
      asio::ssl::context tls(asio::ssl::context::tls_client);
      tls.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      if (args.Has("insecure-skip-verify")) {
        tls.set_verify_mode(asio::ssl::verify_none);
      } else {
        if (auto ca = args.Get("cacert")) {
          tls.load_verify_file(*ca);
        } else {
          tls.set_default_verify_paths();
        }
        tls.set_verify_mode(asio::ssl::verify_peer);
      }
      beast::ssl_stream<beast::tcp_stream> stream(io, tls);
      if (!args.Has("insecure-skip-verify")) {
        stream.set_verify_callback(asio::ssl::host_name_verification(ep.host));
      }
      // SSL_set_tlsext_host_name is a macro with a C cast; call what it expands to.
      if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(ep.host.c_str())) != 1) {
        throw OperationError("cannot set TLS server name " + ep.host);
      }
      beast::get_lowest_layer(stream).expires_after(timeout);
      beast::get_lowest_layer(stream).connect(endpoints);
      stream.handshake(asio::ssl::stream_base::client);
      res = Exchange(stream, req);
      beast::error_code ignored;
      stream.shutdown(ignored);
    } else {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      res = Exchange(stream, req);
    }
  } catch (const boost::system::system_error& e) {
    throw OperationError("GetHealthStatus to " + args.Require("endpoint") + " failed: " + e.what());
  }
  return res;
}

int RunHealth(Context& ctx, const ParsedArgs& args) {
  const Endpoint ep = ParseEndpoint(args.Require("endpoint"));
  const std::string tenant = args.Require("tenant");
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& t = store->Tenant(tenant);
  const config::CredentialConfig& cred = FindCredential(t, args.GetOr("access-key-id", ""));
  const std::string target = t.path_prefix + std::string(config::kXksApiPath) + "/health";
  const std::string body =
      nlohmann::json{{"requestMetadata",
                      {{"kmsRequestId", "xksctl-" + NowUtc()}, {"kmsOperation", "KmsHealthCheck"}}}}
          .dump();
  const bool default_port = ep.port == (ep.tls ? "443" : "80");
  const std::string host_header =
      (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) +
      (default_port ? "" : ":" + ep.port);

  auth::SigningInput in;
  in.method = "POST";
  in.target = target;
  in.headers = {{"Host", host_header}, {"Content-Type", "application/json"}};
  in.body = body;
  in.access_key_id = cred.access_key_id;
  in.secret = cred.secret.view();
  in.region = args.GetOr("region", "us-east-1");
  in.amz_date = auth::FormatAmzDate(std::chrono::system_clock::now());
  http::request<http::string_body> req{http::verb::post, target, 11};
  for (const auto& h : in.headers) req.set(h.name, h.value);
  for (const auto& h : auth::SignRequest(in)) req.set(h.name, h.value);
  req.body() = body;
  req.prepare_payload();

  const auto timeout = std::chrono::seconds(std::stoi(args.GetOr("timeout", "10")));
  const auto started = std::chrono::steady_clock::now();
  http::response<http::string_body> res = SendOnce(ep, req, args, timeout);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  nlohmann::json answer = nlohmann::json::parse(res.body(), nullptr, false);
  nlohmann::json data = {{"endpoint", args.Require("endpoint")},
                         {"tenant", tenant},
                         {"path", target},
                         {"access_key_id", in.access_key_id},
                         {"http_status", res.result_int()},
                         {"latency_ms", ms},
                         {"response", answer.is_discarded() ? nlohmann::json(res.body()) : answer}};
  std::ostringstream text;
  text << "POST " << target << " -> HTTP " << res.result_int() << " in " << ms << " ms\n"
       << (answer.is_discarded() ? res.body() : answer.dump(2)) << "\n";
  if (res.result_int() != 200) {
    if (ctx.json) {
      data["ok"] = false;
      *ctx.out << data.dump() << "\n";
    } else {
      *ctx.out << text.str();
    }
    *ctx.err << "xksctl: error: the proxy answered HTTP " << res.result_int() << "\n";
    return kExitFailed;
  }
  return Emit(ctx, std::move(data), text.str());
}

}  // namespace

std::vector<Command> HealthCommands() {
  return {{"health",
           "",
           "--endpoint URL --tenant NAME [--cacert F | --insecure-skip-verify] "
           "[--access-key-id AKID] [--region R] [--timeout S]",
           "Sends a SigV4-signed GetHealthStatus (POST <prefix>/kms/xks/v1/health) to a running "
           "proxy with the tenant's credential from the configuration and prints the answer. "
           "Exit 1 unless HTTP 200.",
           {{"endpoint", "URL", "https://host:port (or http:// for an insecure test listener)"},
            {"tenant", "NAME", "the tenant whose prefix and credential to use"},
            {"cacert", "F", "CA certificate(s) to verify the server (default: system store)"},
            {"insecure-skip-verify", "", "do not verify the server certificate (tests only)"},
            {"access-key-id", "AKID", "which of the tenant's credentials (default: the first)"},
            {"region", "R", "SigV4 region (default us-east-1)"},
            {"timeout", "S", "seconds for the whole exchange (default 10)"}},
           0,
           0,
           RunHealth}};
}

}  // namespace xks::xksctl
