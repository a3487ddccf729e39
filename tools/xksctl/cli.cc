#include "tools/xksctl/cli.h"

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include "tools/xksctl/admin_client.h"
#include "tools/xksctl/chain_writer.h"
#include "tools/xksctl/config_store.h"

namespace xks::xksctl {

const std::string& Context::RequireConfigPath() const {
  if (config_path.empty()) {
    throw UsageError("no configuration file: give --config FILE or set XKS_CONFIG");
  }
  return config_path;
}

std::vector<OptionSpec> GlobalOptions() {
  return {
      {"config", "FILE", "the proxy configuration file (default: $XKS_CONFIG)"},
      {"pid-file", "FILE",
       "pid file of the running proxy; it is sent SIGHUP after a change (default: $XKS_PID_FILE)"},
      {"json", "", "print the result as one JSON object on stdout"},
      {"help", "", "show this help"},
  };
}

int Emit(Context& ctx, nlohmann::json data, const std::string& text) {
  if (ctx.json) {
    data["ok"] = true;
    *ctx.out << data.dump() << "\n";
  } else {
    *ctx.out << text;
  }
  ctx.out->flush();
  return kExitOk;
}

namespace {

nlohmann::json SignalByPidFile(const Context& ctx) {
  if (ctx.pid_file.empty()) return {{"skipped", true}};
  std::ifstream in(ctx.pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) {
    throw OperationError("the change was saved, but the pid file " + ctx.pid_file +
                         " holds no process id; reload the proxy by hand (SIGHUP)");
  }
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    throw OperationError("the change was saved, but signalling process " + std::to_string(pid) +
                         " from " + ctx.pid_file + " failed: " + std::strerror(errno) +
                         "; reload the proxy by hand (SIGHUP)");
  }
  return {{"signalled", pid}};
}

std::string ProblemsOf(const nlohmann::json& answer) {
  std::string text = answer.value("error", "refused");
  if (const auto it = answer.find("problems"); it != answer.end() && it->is_array()) {
    for (const auto& p : *it) text += "\n  " + (p.is_string() ? p.get<std::string>() : p.dump());
  }
  return text;
}

}  // namespace

nlohmann::json SignalReload(const Context& ctx, const ConfigStore* store) {
  if (store == nullptr) return SignalByPidFile(ctx);
  const config::AuditConfig& audit = store->config().audit;
  if (auto answer = AskProxy(audit, {{"op", "reload"}})) {
    if (answer->value("ok", false)) return {{"reloaded", true}, {"via", "admin socket"}};
    throw OperationError(
        "the change was saved, but the running proxy refused to apply it and keeps its "
        "configuration: " +
        ProblemsOf(*answer));
  }
  nlohmann::json recorded = RecordConfigChanges(*store);
  nlohmann::json result = SignalByPidFile(ctx);
  result["audit"] = std::move(recorded);
  return result;
}

std::string NowUtc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string ReadConfirmationFromTty(const std::string& prompt) {
  std::fstream tty("/dev/tty", std::ios::in | std::ios::out);
  if (!tty) {
    throw OperationError(
        "confirmation needed but there is no terminal — pass --yes-destroy with the exact name");
  }
  tty << prompt << std::flush;
  std::string line;
  std::getline(tty, line);
  return line;
}

}  // namespace xks::xksctl
