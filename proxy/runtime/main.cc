// xks-proxy: the AWS KMS External Key Store proxy.
//
//   xks-proxy --config FILE [--port-file FILE] [--pid-file FILE]
//   xks-proxy --check-config --config FILE
//   xks-proxy --version | --help
//
// SIGTERM/SIGINT drain in-flight requests and exit 0; SIGHUP reloads the configuration.

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "base/secret_bytes.h"
#include "base/version.h"
#include "pkcs11/log.h"
#include "proxy/common/log.h"
#include "proxy/config/config.h"
#include "proxy/runtime/privileges.h"
#include "proxy/runtime/proxy_app.h"
#include "proxy/server/signals.h"

namespace {

constexpr std::string_view kComponent = "main";
constexpr auto kDrainGrace = std::chrono::seconds(10);

constexpr const char* kUsage =
    "usage: xks-proxy --config FILE [--port-file FILE] [--pid-file FILE]\n"
    "       xks-proxy --check-config --config FILE\n"
    "       xks-proxy --version | --help\n"
    "\n"
    "  --config FILE      the proxy configuration (docs/configuration.md)\n"
    "  --port-file FILE   write the bound TCP port here once listening (useful with port 0)\n"
    "  --pid-file FILE    write the process id here once listening (xksctl uses it to reload)\n"
    "  --check-config     validate the configuration, print every problem, and exit\n"
    "  --version          print the version and exit\n"
    "  --help             print this help and exit\n"
    "\n"
    "Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the configuration.\n";

struct Arguments {
  std::string config;
  std::string port_file;
  std::string pid_file;
  bool check_only = false;
};

bool ParseArguments(int argc, char** argv, Arguments& out) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& target) {
      if (i + 1 >= argc) return false;
      target = argv[++i];
      return true;
    };
    if (arg == "--config") {
      if (!value(out.config)) return false;
    } else if (arg == "--port-file") {
      if (!value(out.port_file)) return false;
    } else if (arg == "--pid-file") {
      if (!value(out.pid_file)) return false;
    } else if (arg == "--check-config") {
      out.check_only = true;
    } else {
      return false;
    }
  }
  return !out.config.empty();
}

// `--version` or `--help` alone: answered on stdout (exit 0) before anything else happens.
bool PrintInformation(int argc, char** argv) {
  if (argc != 2) return false;
  const std::string_view arg = argv[1];
  if (arg == "--version") {
    std::cout << xks::VersionLine("xks-proxy") << "\n";
    return true;
  }
  if (arg == "--help" || arg == "-h") {
    std::cout << kUsage;
    return true;
  }
  return false;
}

// Secrets (PINs, SigV4 secrets, plaintext in flight) live in this process's memory: never let it
// be dumped to a core file or read through ptrace by another unprivileged process.
void HardenProcess() {
  struct rlimit no_core {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  umask(077);
}

// Written via a temporary file, fsync and rename so a reader never sees a partial value. Mode
// 0600 is what the process umask (077, set above) always gave these files.
void WriteSmallFile(const char* flag, const std::string& path, const std::string& content) {
  if (auto w = xks::WriteFileAtomic(path, content, 0600); !w.ok()) {
    xks::LogError(kComponent,
                  std::string("cannot write ") + flag + " " + path + ": " + w.error().Message());
  }
}

// Opens and starts the proxy, then writes --port-file/--pid-file and gives up root
// (process.user) once the listener is bound and every file is open. Logs why on failure.
std::unique_ptr<xks::runtime::ProxyApp> StartApp(const Arguments& args) {
  std::optional<xks::runtime::Account> drop_to;
  auto app = xks::runtime::ProxyApp::Create(
      args.config, [&](const xks::config::Config& config) -> xks::Result<void, xks::Problem> {
        auto plan = xks::runtime::PlanPrivileges(config.process, ::geteuid());
        if (!plan.ok()) return xks::Fail(std::move(plan).error());
        drop_to = std::move(plan).value();
        if (!drop_to && ::geteuid() == 0) {
          xks::LogWarning(kComponent, "running as root (process.allow_root is true)");
        }
        return {};
      });
  if (!app.ok()) {
    for (const auto& problem : app.error()) xks::LogError(kComponent, problem.ToString());
    xks::LogError(kComponent,
                  "refusing to start: " + std::to_string(app.error().size()) + " problem(s)");
    return nullptr;
  }
  if (auto started = (*app)->Start(); !started.ok()) {
    xks::LogError(kComponent, "cannot start: " + started.error().ToString());
    return nullptr;
  }
  if (!args.port_file.empty()) {
    WriteSmallFile("--port-file", args.port_file, std::to_string((*app)->port()) + "\n");
  }
  if (!args.pid_file.empty()) {
    WriteSmallFile("--pid-file", args.pid_file, std::to_string(::getpid()) + "\n");
  }
  if (drop_to) {
    if (auto dropped = xks::runtime::DropPrivileges(*drop_to); !dropped.ok()) {
      xks::LogError(kComponent, dropped.error().ToString());
      (*app)->Shutdown(std::chrono::milliseconds(0));
      return nullptr;
    }
    xks::LogInfo(kComponent, "running as user " + drop_to->user + " (uid " +
                                 std::to_string(drop_to->uid) + ", gid " +
                                 std::to_string(drop_to->gid) + ")");
  }
  return std::move(app).value();
}

}  // namespace

int main(int argc, char** argv) {
  if (PrintInformation(argc, argv)) return 0;
  Arguments args;
  if (!ParseArguments(argc, argv, args)) {
    std::cerr << kUsage;
    return 2;
  }
  HardenProcess();
  // One log format for the whole process: the HSM layer's lines go through the shared logger.
  xks::pkcs11::SetLogSink([](std::string_view line) { xks::LogWarning("pkcs11", line); });
  // The one warning when secret memory cannot be locked (base/secret_bytes.h); never content.
  xks::secret_memory::SetWarningSink(
      [](const char* message) { xks::LogWarning("secret-memory", message); });

  if (args.check_only) {
    auto config = xks::config::LoadConfigFile(args.config);
    if (!config.ok()) {
      std::cerr << xks::FormatProblems(config.error());
      return 1;
    }
    std::cout << "configuration OK: " << config->tenants.size() << " tenant(s)\n";
    return 0;
  }

  std::mutex mutex;
  std::condition_variable stop_requested;
  bool stopping = false;
  xks::runtime::ProxyApp* app_ptr = nullptr;
  // Signals are blocked before any other thread starts, so only the watcher thread sees them.
  auto watcher = xks::server::SignalWatcher::Start([&](int signal_number) {
    if (signal_number == SIGHUP) {
      std::lock_guard lock(mutex);
      if (app_ptr == nullptr || stopping) return;
      if (auto reloaded = app_ptr->Reload(); !reloaded.ok()) {
        for (const auto& problem : reloaded.error()) {
          xks::LogError(kComponent, "reload refused: " + problem.ToString());
        }
      }
      return;
    }
    std::lock_guard lock(mutex);
    stopping = true;
    stop_requested.notify_all();
  });
  if (!watcher.ok()) {
    xks::LogError(kComponent, "cannot install signal handling: " + watcher.error().ToString());
    return 1;
  }

  auto app = StartApp(args);
  if (!app) return 1;

  {
    std::unique_lock lock(mutex);
    app_ptr = app.get();
    stop_requested.wait(lock, [&] { return stopping; });
    app_ptr = nullptr;
  }
  xks::LogInfo(kComponent, "shutting down: draining in-flight requests");
  app->Shutdown(kDrainGrace);
  if (!args.pid_file.empty()) ::unlink(args.pid_file.c_str());
  return 0;
}
