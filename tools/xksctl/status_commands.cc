// `xksctl status`: the running proxy's live status, read through its admin socket
// (admin_client.h): process, version, instance, tenants, each token's health, the audit chain's
// head. Exit 1 when no proxy answers.
#include <sstream>

#include "tools/xksctl/admin_client.h"
#include "tools/xksctl/commands.h"

namespace xks::xksctl {
namespace {

std::string StatusText(const nlohmann::json& status) {
  std::ostringstream text;
  text << "xks-proxy " << status.value("version", "?") << ", pid " << status.value("pid", 0)
       << ", instance " << status.value("instanceId", "?") << ", port " << status.value("port", 0)
       << "\n";
  text << "tenants:";
  if (const auto tenants = status.find("tenants"); tenants != status.end() && tenants->is_array()) {
    for (const auto& t : *tenants) text << " " << (t.is_string() ? t.get<std::string>() : t.dump());
  }
  text << "\ntokens:\n";
  if (const auto tokens = status.find("tokens"); tokens != status.end() && tokens->is_object()) {
    for (const auto& [id, health] : tokens->items())
      text << "  " << id << ": " << health.dump() << "\n";
  }
  const nlohmann::json audit = status.value("audit", nlohmann::json::object());
  text << "audit: " << (audit.value("healthy", false) ? "healthy" : "NOT HEALTHY") << ", last seq "
       << audit.value("lastSeq", 0) << ", file " << audit.value("file", "") << "\n";
  return text.str();
}

int RunStatus(Context& ctx, const ParsedArgs&) {
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const std::string socket = config::AdminSocketPath(store->config().audit);
  if (socket.empty()) {
    throw OperationError("audit.admin_socket is \"\": the proxy has no admin socket to ask");
  }
  auto answer = AskProxy(store->config().audit, {{"op", "status"}});
  if (!answer) throw OperationError("no proxy answers on " + socket + " (is it running?)");
  if (!answer->value("ok", false)) {
    throw OperationError("the proxy refused: " + answer->value("error", "?"));
  }
  nlohmann::json status = (*answer)["status"];
  std::string text = StatusText(status);
  return Emit(ctx, {{"status", std::move(status)}, {"socket", socket}}, text);
}

}  // namespace

std::vector<Command> StatusCommands() {
  return {{"status",
           "",
           "",
           "Shows the running proxy's live status through its admin socket "
           "(audit.admin_socket): version, pid, instance, tenants, each token's health and the "
           "audit chain's head. Exit 1 when no proxy answers.",
           {},
           0,
           0,
           RunStatus}};
}

}  // namespace xks::xksctl
