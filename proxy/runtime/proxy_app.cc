#include "proxy/runtime/proxy_app.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "proxy/api/audit_metadata.h"
#include "proxy/api/health_monitor.h"
#include "proxy/api/health_reporting_backend.h"
#include "proxy/api/xks_service.h"
#include "proxy/audit/audit_log.h"
#include "proxy/audit/file_signer.h"
#include "proxy/audit/refusal_aggregator.h"
#include "proxy/common/log.h"
#include "proxy/runtime/admin_requests.h"
#include "proxy/runtime/admin_socket.h"
#include "proxy/runtime/hsm_checkpoint_signer.h"
#include "proxy/runtime/hsm_key_backend.h"
#include "proxy/runtime/proxy_telemetry.h"
#include "proxy/runtime/sigv4_authenticator.h"
#include "proxy/server/health_listener.h"
#include "proxy/server/server.h"
#include "proxy/tenant/registry_diff.h"
#include "proxy/tenant/registry_holder.h"

#ifndef XKS_VERSION
#error "XKS_VERSION must be defined by the build"
#endif

namespace xks::runtime {
namespace {

constexpr std::string_view kComponent = "proxy";
// How long shutdown waits for HSM work that already runs, beyond the server's grace period.
constexpr std::chrono::seconds kExecutorDrainTime{2};

server::TlsOptions ToTlsOptions(const std::optional<config::TlsConfig>& tls) {
  if (!tls) return {};
  return server::TlsOptions{tls->certificate_chain_file, tls->private_key_file, tls->client_ca_file,
                            tls->allowed_client_common_names};
}

server::ServerOptions ToServerOptions(const config::ServerConfig& config) {
  server::ServerOptions options;
  options.address = config.listen_address;
  options.port = config.port;
  options.insecure = config.insecure;
  options.tls = ToTlsOptions(config.tls);
  options.io_threads = static_cast<int>(config.io_threads);
  options.worker_threads = static_cast<int>(config.worker_threads);
  options.queue_limit = config.queue_limit;
  options.low_priority_queue_limit = config.low_priority_queue_limit;
  options.time_budget = config.hsm_time_budget;
  options.read_timeout = config.read_timeout;
  options.write_timeout = config.write_timeout;
  options.idle_timeout = config.idle_timeout;
  options.unauthenticated_idle_timeout = config.unauthenticated_idle_timeout;
  options.max_connections = config.max_connections;
  options.max_connections_per_address = config.max_connections_per_address;
  options.max_handshakes_in_progress = config.max_handshakes_in_progress;
  options.max_body_bytes = config.max_body_bytes;
  options.ping_path = config.ping_path;
  return options;
}

api::HealthMonitorOptions ToHealthOptions(const config::ApiConfig& config) {
  api::HealthMonitorOptions options;
  options.interval = config.health_check_interval;
  options.degraded_latency = config.health_degraded_latency;
  options.check_timeout = config.health_check_timeout;
  options.probe_interval = config.health_probe_interval;
  options.live_failure_run = static_cast<int>(config.health_live_failure_run);
  options.live_failure_window = config.health_live_failure_window;
  return options;
}

// Listener, thread and audit settings are bound at start; a reload that changes them only warns.
// TLS material reloads live, so it is the one server setting left out of the comparison.
bool SameStartupSettings(config::ServerConfig a, config::ServerConfig b) {
  a.tls.reset();
  b.tls.reset();
  // Read from each request's snapshot: applies live.
  a.max_concurrent_hsm = b.max_concurrent_hsm;
  return a == b;
}

}  // namespace

class ProxyApp::Impl {
 public:
  Result<void, Problems> Open(const std::string& config_path, const BeforeOpen& before_open);
  Result<void, Problem> Start();
  Result<void, Problems> Reload();
  // The reload series (generation, result, time), after Reload returned.
  void NoteReload(bool applied);
  void Shutdown(std::chrono::milliseconds grace);
  std::uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  Result<std::unique_ptr<audit::CheckpointSigner>, Problem> MakeSigner(
      const config::SignerConfig& config, const tenant::TenantRegistry& registry);
  void RecordAdmin(std::string operation, nlohmann::json details, std::string tenant = {},
                   std::string external_key_id = {});
  void OnRejected(const HttpRequest& request, const Error& error, int status);
  AdminActions MakeAdminActions();
  nlohmann::json LiveStatus();
  // Metrics: the admin listener (config `admin`).
  Result<void, Problem> StartAdmin();
  Result<void, Problem> StartHealthListener();
  bool CanServe() const;

  std::mutex lifecycle_mutex_;
  bool started_ = false;
  bool stopped_ = false;
  // First, so it outlives what its scrape reads; Shutdown stops its listener before anything else.
  const std::unique_ptr<ProxyTelemetry> telemetry_ = std::make_unique<ProxyTelemetry>();
  std::uint64_t config_generation_ = 1;
  std::optional<config::AdminConfig> started_admin_;
  // Declaration order is teardown order reversed: the server goes first, the backend last.
  HsmKeyBackend backend_;
  SigV4Authenticator authenticator_;
  std::unique_ptr<tenant::RegistryHolder> registry_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<audit::RefusalAggregator> refusals_;
  std::unique_ptr<api::HealthMonitor> health_;
  // What requests use: the backend, telling health_ what each HSM call met. The monitor's own
  // checks go to backend_ directly.
  std::unique_ptr<api::HealthReportingBackend> request_backend_;
  std::unique_ptr<api::XksService> service_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<server::HealthListener> health_listener_;
  std::unique_ptr<AdminSocketServer> admin_socket_;
  config::ServerConfig started_server_;
  config::AuditConfig started_audit_;
};

Result<std::unique_ptr<audit::CheckpointSigner>, Problem> ProxyApp::Impl::MakeSigner(
    const config::SignerConfig& config, const tenant::TenantRegistry& registry) {
  if (config.type == config::SignerConfig::Type::kFile) return audit::MakeFileSigner(config);
  // token and key_label are required by the configuration schema (config::ParseAuditConfig).
  const std::string& token_id = config.token;
  for (const auto& tenant : registry.tenants()) {
    if (std::find(tenant.token_ids.begin(), tenant.token_ids.end(), token_id) !=
        tenant.token_ids.end()) {
      return Fail(MakeProblem("audit.signer.token",
                              token_id + " is tenant " + tenant.name + "'s token",
                              "give the audit key a token of its own"));
    }
  }
  auto token = backend_.FindToken(token_id);
  if (!token) {
    return Fail(MakeProblem("audit.signer.token", token_id + " is not an open hsm.tokens entry",
                            "use the id of an hsm.tokens entry"));
  }
  auto signer = HsmCheckpointSigner::Open(token->client, config.key_label);
  if (!signer.ok()) return Fail(std::move(signer).error());
  return std::unique_ptr<audit::CheckpointSigner>(std::move(signer).value());
}

Result<void, Problems> ProxyApp::Impl::Open(const std::string& config_path,
                                            const BeforeOpen& before_open) {
  auto holder = tenant::RegistryHolder::Load(config_path);
  if (!holder.ok()) return Fail(std::move(holder).error());
  registry_ = std::move(holder).value();
  const auto registry = registry_->Current();
  const config::Config& config = registry->config();
  // First, so that every later line (the privilege check's too) has the configured format.
  SetLogFormat(config.log.format == "json" ? LogFormat::kJson : LogFormat::kText);
  if (before_open) {
    if (auto go_on = before_open(config); !go_on.ok()) return Fail(Problems{go_on.error()});
  }

  if (auto applied = backend_.ApplyConfig(config.hsm); !applied.ok()) {
    return Fail(std::move(applied).error());
  }
  const config::AuditConfig& audit_config = config.audit;
  auto signer = MakeSigner(audit_config.signer, *registry);
  if (!signer.ok()) return Fail(Problems{std::move(signer).error()});
  auto audit_log =
      audit::AuditLog::Open(audit_config, std::move(signer).value(), {},
                            [m = &telemetry_->metrics()](auto took) { m->RecordAuditFlush(took); });
  if (!audit_log.ok()) return Fail(Problems{std::move(audit_log).error()});
  audit_ = std::move(audit_log).value();
  refusals_ = std::make_unique<audit::RefusalAggregator>(
      *audit_, audit::RefusalAggregatorOptions{audit_config.refusal_aggregation_interval,
                                               audit_config.refusal_aggregation_max_sources});

  authenticator_.Publish(*registry);
  health_ = std::make_unique<api::HealthMonitor>(backend_, ToHealthOptions(config.api));
  health_->SetTokens(registry->TenantTokenIds());
  request_backend_ = std::make_unique<api::HealthReportingBackend>(backend_, *health_);
  api::XksServiceOptions service_options;
  service_options.proxy_model = std::string("xks-hsm-proxy ") + XKS_VERSION;
  service_options.refusals = refusals_.get();
  service_options.metrics = &telemetry_->metrics();
  tenant::RegistryHolder* holder_ptr = registry_.get();
  service_ = std::make_unique<api::XksService>([holder_ptr] { return holder_ptr->Current(); },
                                               *request_backend_, authenticator_, *audit_, *health_,
                                               std::move(service_options));
  api::XksService* service_ptr = service_.get();
  server::ServerOptions server_options = ToServerOptions(config.server);
  // Requests that cannot be authenticated wait in the low lane, so a flood of them never delays
  // the ones that can (the decision is cheap and runs on the I/O thread).
  server_options.classifier = [service_ptr](const HttpRequest& request) {
    return service_ptr->LikelyAuthentic(request) ? server::RequestPriority::kNormal
                                                 : server::RequestPriority::kLow;
  };
  // HandleAsync never blocks: it verifies, parses and queues the work on the token's executor.
  server_options.run_authenticated_inline = true;
  server_ = std::make_unique<server::Server>(
      std::move(server_options),
      server::AsyncHandler([service_ptr](const HttpRequest& request, server::Respond respond) {
        service_ptr->HandleAsync(request, std::move(respond));
      }),
      [this](const HttpRequest& request, const Error& error, int status) {
        OnRejected(request, error, status);
      });
  telemetry_->Watch({backend_, *health_, *audit_, *server_,
                     [holder_ptr] { return holder_ptr->Current()->TenantTokenIds(); }});
  started_server_ = config.server;
  started_audit_ = config.audit;
  if (config.admin) started_admin_ = config.admin->Clone();
  return {};
}

void ProxyApp::Impl::OnRejected(const HttpRequest& request, const Error& error, int status) {
  // Runs on an I/O thread: queue the record, never wait for the disk here.
  audit::AuditEvent event;
  event.operation = "Unknown";
  api::DescribeRequestForAudit(request, auth::SigV4Verifier::PresentedAccessKeyId(request), event);
  event.result = std::string(ErrorNameString(error.name));
  event.http_status = status;
  // A connection that never authenticated may be a flood: its refusals are aggregated per source.
  if (request.connection.authenticated) {
    audit_->AppendNoWait(std::move(event));
  } else {
    refusals_->Record(std::move(event));
  }
}

void ProxyApp::Impl::RecordAdmin(std::string operation, nlohmann::json details, std::string tenant,
                                 std::string external_key_id) {
  const audit::AuditEvent event = audit::AdminEvent(std::move(operation), std::move(tenant),
                                                    std::move(external_key_id), std::move(details));
  if (auto appended = audit_->Append(event); !appended.ok()) {
    LogError(kComponent,
             "audit record for " + event.operation + " failed: " + appended.error().log_detail);
  }
}

AdminActions ProxyApp::Impl::MakeAdminActions() {
  AdminActions actions;
  actions.status = [this] { return LiveStatus(); };
  actions.reload = [this] {
    auto reloaded = Reload();
    if (!reloaded.ok()) {  // as SIGHUP's refusals are logged (main.cc)
      for (const auto& problem : reloaded.error()) {
        LogError(kComponent, "reload refused (admin socket): " + problem.ToString());
      }
    }
    return reloaded;
  };
  actions.record = [this](AdminEventRequest request) -> Result<nlohmann::json, std::string> {
    // Durable before the answer (the admin thread waits, never an I/O thread).
    auto seq = audit_->Append(
        audit::AdminEvent(std::move(request.operation), std::move(request.tenant),
                          std::move(request.external_key_id), std::move(request.details)));
    if (!seq.ok()) return Fail(seq.error().log_detail);
    return nlohmann::json{{"seq", seq.value()}, {"file", audit_->CurrentFile()}};
  };
  return actions;
}

nlohmann::json ProxyApp::Impl::LiveStatus() {
  const auto registry = registry_->Current();
  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& tenant : registry->tenants()) tenants.push_back(tenant.name);
  nlohmann::json tokens = nlohmann::json::object();
  for (const auto& id : registry->TenantTokenIds()) {
    tokens[id] = std::string(api::HealthStatusString(health_->Status(id)));
  }
  const audit::AuditLogStats stats = audit_->Stats();
  return {{"pid", ::getpid()},
          {"version", XKS_VERSION},
          {"instanceId", started_audit_.instance_id},
          {"port", port()},
          {"tenants", std::move(tenants)},
          {"tokens", std::move(tokens)},
          {"audit",
           {{"healthy", audit_->Healthy()},
            {"lastSeq", stats.last_seq},
            {"recordsWritten", stats.records_written},
            {"file", audit_->CurrentFile()}}}};
}

Result<void, Problem> ProxyApp::Impl::Start() {
  std::lock_guard lock(lifecycle_mutex_);
  if (started_) return Fail(MakeProblem("proxy", "already started"));
  // One synchronous round first, so the first GetHealthStatus already has a real answer.
  health_->CheckNow();
  health_->Start();
  refusals_->Start();
  auto started = server_->Start();
  if (started.ok()) started = StartAdmin();
  if (started.ok()) started = StartHealthListener();
  if (!started.ok()) {
    server_->Shutdown(std::chrono::milliseconds(0));
    health_->Stop();
    refusals_->Stop();
    return started;
  }
  if (const std::string path = config::AdminSocketPath(started_audit_); !path.empty()) {
    auto admin = AdminSocketServer::Start(
        path, [actions = MakeAdminActions()](const nlohmann::json& request) {
          return HandleAdminRequest(actions, request);
        });
    if (!admin.ok()) {
      server_->Shutdown(std::chrono::milliseconds(0));
      health_->Stop();
      refusals_->Stop();
      return Fail(std::move(admin).error());
    }
    admin_socket_ = std::move(admin).value();
  }
  started_ = true;
  const auto registry = registry_->Current();
  RecordAdmin("proxy.start", {{"version", XKS_VERSION},
                              {"tenants", registry->tenants().size()},
                              {"port", server_->port()}});
  LogInfo(kComponent, "listening on " + started_server_.listen_address + ":" +
                          std::to_string(server_->port()) + " with " +
                          std::to_string(registry->tenants().size()) + " tenant(s)");
  return {};
}

Result<void, Problems> ProxyApp::Impl::Reload() {
  std::lock_guard lock(lifecycle_mutex_);
  if (stopped_) return Fail(Problems{MakeProblem("", "the proxy is shutting down")});
  const auto previous = registry_->Current();
  auto loaded = config::LoadConfigFile(previous->config().source_path);
  if (!loaded.ok()) {
    Problems problems = std::move(loaded).error();
    RecordAdmin("config.reload", {{"result", "refused"}, {"problems", problems.size()}});
    return Fail(std::move(problems));
  }
  config::Config config = std::move(loaded).value();
  if (config.server.tls && !config.server.insecure) {
    if (auto reloaded = server_->ReloadTls(ToTlsOptions(config.server.tls)); !reloaded.ok()) {
      RecordAdmin("config.reload", {{"result", "refused"}, {"problems", 1}});
      return Fail(Problems{std::move(reloaded).error()});
    }
  }
  if (auto applied = backend_.ApplyConfig(config.hsm); !applied.ok()) {
    RecordAdmin("config.reload", {{"result", "refused"}, {"problems", applied.error().size()}});
    return Fail(std::move(applied).error());
  }
  if (!SameStartupSettings(config.server, started_server_)) {
    LogWarning(kComponent, "server settings other than TLS changed; they apply after a restart");
  }
  if (config.admin != started_admin_) {
    LogWarning(kComponent, "the admin section changed; it applies after a restart");
  }
  if (config.audit != started_audit_) {
    LogWarning(kComponent, "the audit section changed; it applies after a restart");
  }
  auto next = tenant::TenantRegistry::Build(std::move(config));
  authenticator_.Publish(*next);
  health_->SetTokens(next->TenantTokenIds());
  registry_->Replace(next);
  for (auto& change : tenant::DiffRegistries(*previous, *next)) {
    RecordAdmin(std::move(change.operation), std::move(change.details), change.tenant,
                change.external_key_id);
  }

  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& tenant : next->tenants()) {
    nlohmann::json keys = nlohmann::json::object();
    for (const auto& [id, key] : tenant.keys) {
      keys[id] = {{"disabled", key.disabled}, {"versions", key.versions.size()}};
    }
    tenants.push_back({{"tenant", tenant.name},
                       {"credentials", tenant.credentials.size()},
                       {"keys", std::move(keys)}});
  }
  RecordAdmin("config.reload", {{"result", "applied"}, {"tenants", std::move(tenants)}});
  LogInfo(kComponent,
          "configuration reloaded: " + std::to_string(next->tenants().size()) + " tenant(s)");
  return {};
}

bool ProxyApp::Impl::CanServe() const {
  if (!audit_->Healthy()) return false;  // crypto operations fail closed
  const auto ids = registry_->Current()->TenantTokenIds();
  return ids.empty() || std::any_of(ids.begin(), ids.end(), [this](const std::string& id) {
           return health_->Status(id) != api::HealthStatus::kUnavailable;
         });
}

Result<void, Problem> ProxyApp::Impl::StartHealthListener() {
  if (!started_server_.health_listener) return {};
  const config::HealthListenerConfig& c = *started_server_.health_listener;
  server::HealthListenerOptions options;
  options.address = c.listen_address;
  options.port = c.port;
  if (c.tls) options.tls = ToTlsOptions(c.tls);
  const std::string ping_path =
      started_server_.ping_path.empty() ? "/ping" : started_server_.ping_path;
  options.ping_path = ping_path;
  if (c.deep) options.can_serve = [this] { return CanServe(); };
  options.read_timeout = started_server_.read_timeout;
  options.write_timeout = started_server_.write_timeout;
  options.idle_timeout = started_server_.idle_timeout;
  health_listener_ = std::make_unique<server::HealthListener>(std::move(options));
  if (auto started = health_listener_->Start(); !started.ok()) {
    return Fail(MakeProblem("server.health_listener", started.error().ToString()));
  }
  LogInfo(kComponent, "load-balancer check listener (" + ping_path + ", " +
                          (c.deep ? "deep" : "shallow") + ") on " + c.listen_address + ":" +
                          std::to_string(health_listener_->port()) +
                          (c.tls ? " (TLS)" : " (plain HTTP)"));
  return {};
}

Result<void, Problem> ProxyApp::Impl::StartAdmin() {
  if (!started_admin_) return {};
  if (auto started = telemetry_->StartAdmin(*started_admin_, started_server_); !started.ok()) {
    return started;
  }
  LogInfo(kComponent, "admin listener (GET /metrics) on " + started_admin_->listen_address + ":" +
                          std::to_string(telemetry_->admin_port()) +
                          (started_admin_->tls ? " (TLS)" : " (plain HTTP)"));
  return {};
}

void ProxyApp::Impl::NoteReload(bool applied) {
  std::lock_guard lock(lifecycle_mutex_);
  if (applied) ++config_generation_;
  telemetry_->metrics().RecordReload(applied, config_generation_, std::chrono::system_clock::now());
}

void ProxyApp::Impl::Shutdown(std::chrono::milliseconds grace) {
  // First, and outside the lifecycle lock: an admin request being served (a reload) may be
  // waiting for that lock, and Stop waits for the request. Shutdown calls come one at a time
  // (the signal thread, then the destructor).
  if (admin_socket_) admin_socket_->Stop();
  std::lock_guard lock(lifecycle_mutex_);
  if (stopped_) return;
  stopped_ = true;
  telemetry_->Stop();
  if (health_listener_) health_listener_->Shutdown(std::chrono::milliseconds(0));
  if (server_) server_->Shutdown(grace);
  // Work still queued for a token is answered (503) and audited; running work gets a short while
  // to finish and be audited before the log closes (a hung HSM call cannot be interrupted).
  if (!backend_.StopExecutors(std::chrono::steady_clock::now() + grace + kExecutorDrainTime)) {
    LogError(kComponent, "HSM calls still running at shutdown; their records may be missing");
  }
  if (health_) health_->Stop();
  // No request arrives any more: the counts of the last interval go out before the final
  // checkpoint.
  if (refusals_) refusals_->Stop();
  if (audit_) {
    if (started_) RecordAdmin("proxy.stop", nlohmann::json::object());
    audit_->Close();
  }
  LogInfo(kComponent, "stopped");
}

ProxyApp::ProxyApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProxyApp::~ProxyApp() { impl_->Shutdown(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<ProxyApp>, Problems> ProxyApp::Create(const std::string& config_path,
                                                             const BeforeOpen& before_open) {
  auto impl = std::make_unique<Impl>();
  if (auto opened = impl->Open(config_path, before_open); !opened.ok()) {
    return Fail(std::move(opened).error());
  }
  return std::unique_ptr<ProxyApp>(new ProxyApp(std::move(impl)));
}

Result<void, Problem> ProxyApp::Start() { return impl_->Start(); }
std::uint16_t ProxyApp::port() const { return impl_->port(); }
Result<void, Problems> ProxyApp::Reload() {
  auto reloaded = impl_->Reload();
  impl_->NoteReload(reloaded.ok());
  return reloaded;
}
void ProxyApp::Shutdown(std::chrono::milliseconds grace) { impl_->Shutdown(grace); }

}  // namespace xks::runtime
