#include "proxy/runtime/admin_requests.h"

#include <algorithm>
#include <string_view>

namespace xks::runtime {
namespace {

nlohmann::json AdminRefusal(std::string error) {
  return {{"ok", false}, {"error", std::move(error)}};
}

// xksctl's events are named like the proxy's ("tenant.shred"); the proxy's own lifecycle and
// reload events cannot be forged through the socket.
bool IsAcceptableAdminOperation(std::string_view op) {
  if (op.empty() || op.size() > 64 || op.front() < 'a' || op.front() > 'z') return false;
  if (op.starts_with("proxy.") || op.starts_with("config.")) return false;
  return std::all_of(op.begin(), op.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

// The optional string member `key`; false when present and not a string.
bool OptionalStringMember(const nlohmann::json& request, const char* key, std::string& out) {
  const auto it = request.find(key);
  if (it == request.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

nlohmann::json RecordAdminEventRequest(const AdminActions& actions, const nlohmann::json& request) {
  AdminEventRequest event;
  if (!OptionalStringMember(request, "operation", event.operation) ||
      !IsAcceptableAdminOperation(event.operation)) {
    return AdminRefusal(
        "\"operation\" must be 1..64 of a-z 0-9 . - _, starting with a letter, and not a proxy. or "
        "config. event");
  }
  if (!OptionalStringMember(request, "tenant", event.tenant) ||
      !OptionalStringMember(request, "externalKeyId", event.external_key_id)) {
    return AdminRefusal("\"tenant\" and \"externalKeyId\" must be strings");
  }
  if (const auto it = request.find("details"); it != request.end()) {
    if (!it->is_object()) return AdminRefusal("\"details\" must be an object");
    event.details = *it;
  }
  auto recorded = actions.record(std::move(event));
  if (!recorded.ok()) return AdminRefusal("the audit record was not written: " + recorded.error());
  nlohmann::json answer = recorded.value();
  answer["ok"] = true;
  return answer;
}

nlohmann::json ReloadFromAdmin(const AdminActions& actions) {
  auto reloaded = actions.reload();
  if (reloaded.ok()) return {{"ok", true}};
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& problem : reloaded.error()) problems.push_back(problem.ToString());
  nlohmann::json answer = AdminRefusal("the reload was refused; the running configuration stays");
  answer["problems"] = std::move(problems);
  return answer;
}

}  // namespace

nlohmann::json HandleAdminRequest(const AdminActions& actions, const nlohmann::json& request) {
  const auto op = request.find("op");
  if (op == request.end() || !op->is_string()) {
    return AdminRefusal("missing \"op\": one of status, reload, record");
  }
  const std::string& name = op->get_ref<const std::string&>();
  if (name == "status") return {{"ok", true}, {"status", actions.status()}};
  if (name == "reload") return ReloadFromAdmin(actions);
  if (name == "record") return RecordAdminEventRequest(actions, request);
  return AdminRefusal("unknown op \"" + name + "\": one of status, reload, record");
}

}  // namespace xks::runtime
