#include "proxy/runtime/proxy_telemetry.h"

#include <utility>

#ifndef XKS_VERSION
#error "XKS_VERSION must be defined by the build"
#endif

namespace xks::runtime {
namespace {

using metrics::Emit;
using metrics::MetricType;

constexpr api::HealthStatus kHealthStates[] = {
    api::HealthStatus::kActive, api::HealthStatus::kDegraded, api::HealthStatus::kUnavailable};

double Seconds(std::chrono::system_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Calls `each(token_id, stats)` for every token of the configuration that has an executor.
void ForEachExecutor(
    const ProxyTelemetry::Sources& s,
    const std::function<void(const std::string&, const TokenExecutor::Stats&)>& each) {
  for (const std::string& id : s.token_ids()) {
    const auto token = s.backend.FindToken(id);
    if (token && token->executor) each(id, token->executor->stats());
  }
}

}  // namespace

ProxyTelemetry::ProxyTelemetry() : metrics_(registry_) {
  registry_.AddGauge("xks_build_info", "The running xks-proxy's version (always 1).", {"version"})
      .With({XKS_VERSION})
      .Set(1);
}

ProxyTelemetry::~ProxyTelemetry() { Stop(); }

void ProxyTelemetry::WatchHsm(const Sources& sources) {
  auto per_executor = [sources](auto value) {
    return [sources, value](const Emit& emit) {
      ForEachExecutor(sources, [&](const std::string& id, const TokenExecutor::Stats& stats) {
        emit({id}, static_cast<double>(value(stats)));
      });
    };
  };
  registry_.AddCallback("xks_hsm_sessions_in_use", "HSM sessions running an operation now.",
                        MetricType::kGauge, {"token"},
                        per_executor([](const auto& st) { return st.running; }));
  registry_.AddCallback(
      "xks_hsm_sessions_max", "HSM sessions the token runs at once (hsm.tokens[].max_sessions).",
      MetricType::kGauge, {"token"}, per_executor([](const auto& st) { return st.threads; }));
  registry_.AddCallback("xks_hsm_queue_depth",
                        "Operations waiting for one of the token's sessions.", MetricType::kGauge,
                        {"token"}, per_executor([](const auto& st) { return st.queued; }));
  registry_.AddCallback(
      "xks_hsm_refused_total",
      "Operations the token's executor refused (queue_full, deadline: predicted too late) or "
      "found expired when a session was free (expired).",
      MetricType::kCounter, {"token", "reason"}, [sources](const Emit& emit) {
        ForEachExecutor(sources, [&](const std::string& id, const TokenExecutor::Stats& st) {
          emit({id, "queue_full"}, static_cast<double>(st.refused_queue_full));
          emit({id, "deadline"}, static_cast<double>(st.refused_deadline));
          emit({id, "expired"}, static_cast<double>(st.expired));
        });
      });
  registry_.AddCallback("xks_token_health",
                        "1 for the token's health state now (ACTIVE, DEGRADED, UNAVAILABLE).",
                        MetricType::kGauge, {"token", "state"}, [sources](const Emit& emit) {
                          for (const std::string& id : sources.token_ids()) {
                            const api::HealthStatus now = sources.health.Status(id);
                            for (const api::HealthStatus state : kHealthStates) {
                              emit({id, api::HealthStatusString(state)}, state == now ? 1 : 0);
                            }
                          }
                        });
}

void ProxyTelemetry::WatchAuditAndServer(const Sources& sources) {
  audit::AuditLog& audit = sources.audit;
  registry_.AddCallback(
      "xks_audit_queue_depth", "Audit records waiting for the group commit.", MetricType::kGauge,
      {}, [&audit](const Emit& emit) { emit({}, static_cast<double>(audit.Stats().queued)); });
  registry_.AddCallback("xks_audit_last_checkpoint_age_seconds",
                        "Seconds since the last signed checkpoint.", MetricType::kGauge, {},
                        [&audit](const Emit& emit) {
                          const auto last = audit.Stats().last_checkpoint;
                          if (last.time_since_epoch().count() == 0) return;
                          emit({}, Seconds(std::chrono::system_clock::now() - last));
                        });
  registry_.AddCallback("xks_audit_records_written_total", "Audit records acknowledged on disk.",
                        MetricType::kCounter, {}, [&audit](const Emit& emit) {
                          emit({}, static_cast<double>(audit.Stats().records_written));
                        });
  registry_.AddCallback("xks_audit_write_failures_total", "Failed audit writes or fdatasyncs.",
                        MetricType::kCounter, {}, [&audit](const Emit& emit) {
                          emit({}, static_cast<double>(audit.Stats().write_failures));
                        });
  registry_.AddCallback("xks_audit_healthy", "1 while the audit log accepts records.",
                        MetricType::kGauge, {},
                        [&audit](const Emit& emit) { emit({}, audit.Healthy() ? 1 : 0); });
  server::Server& server = sources.server;
  auto stat = [&server](auto value) {
    return [&server, value](const Emit& emit) {
      emit({}, static_cast<double>(value(server.stats())));
    };
  };
  registry_.AddCallback("xks_tls_handshakes_total", "TLS handshakes completed on the API listener.",
                        MetricType::kCounter, {}, stat([](const auto& s) { return s.handshakes; }));
  registry_.AddCallback("xks_tls_handshake_failures_total",
                        "TLS handshakes failed on the API listener (any reason, timeouts too).",
                        MetricType::kCounter, {},
                        stat([](const auto& s) { return s.handshake_failures; }));
  registry_.AddCallback("xks_connections_open", "Open connections on the API listener.",
                        MetricType::kGauge, {},
                        stat([](const auto& s) { return s.connections_open; }));
  registry_.AddCallback(
      "xks_server_rejected_total",
      "Requests the API listener answered itself: throttled (worker queue full, 429), timed_out "
      "(time budget, 503), malformed (400, 413, 417, 431).",
      MetricType::kCounter, {"reason"}, [&server](const Emit& emit) {
        const server::Server::Stats s = server.stats();
        emit({"throttled"}, static_cast<double>(s.throttled));
        emit({"timed_out"}, static_cast<double>(s.timed_out));
        emit({"malformed"}, static_cast<double>(s.rejected));
      });
}

void ProxyTelemetry::Watch(Sources sources) {
  WatchHsm(sources);
  WatchAuditAndServer(sources);
}

Result<void, Problem> ProxyTelemetry::StartAdmin(const config::AdminConfig& admin,
                                                 const config::ServerConfig& server) {
  server::AdminListenerOptions options;
  options.address = admin.listen_address;
  options.port = admin.port;
  if (admin.tls) {
    options.tls =
        server::TlsOptions{admin.tls->certificate_chain_file, admin.tls->private_key_file,
                           admin.tls->client_ca_file, admin.tls->allowed_client_common_names};
  }
  options.bearer_token = admin.bearer_token.Clone();
  options.read_timeout = server.read_timeout;
  options.write_timeout = server.write_timeout;
  options.idle_timeout = server.idle_timeout;
  admin_ = std::make_unique<server::AdminListener>(std::move(options),
                                                   [this] { return registry_.Render(); });
  if (auto started = admin_->Start(); !started.ok()) {
    admin_.reset();
    return started;
  }
  return {};
}

std::uint16_t ProxyTelemetry::admin_port() const { return admin_ ? admin_->port() : 0; }

void ProxyTelemetry::Stop() {
  if (admin_) admin_->Shutdown(std::chrono::milliseconds(0));
}

}  // namespace xks::runtime
