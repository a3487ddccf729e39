// xks_fault_pkcs11_ctl: steers the fault-injecting PKCS#11 module from a shell (e2e tests), through
// the same FaultControl a C++ test uses. See docs/dev/fault-pkcs11.md for the commands.
//
//   xks_fault_pkcs11_ctl FILE create
//   xks_fault_pkcs11_ctl FILE fail C_Encrypt CKR_DEVICE_ERROR every=3 times=2 token=alpha
//   xks_fault_pkcs11_ctl FILE counters

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "pkcs11/testing.h"
#include "tests/support/fault_control.h"

namespace {

using xks::testing::FaultControl;
using xks::testing::FaultFunction;
using xks::testing::Trigger;

constexpr const char* kUsage =
    "usage: xks_fault_pkcs11_ctl FILE COMMAND [ARGS] [every=N] [times=N] [token=LABEL]\n"
    "  create | clear | release | finalise | counters | remove RULE\n"
    "  fail FN RV | latency FN MICROS | hang FN | refuse-login RV | device-removed [LABEL]\n"
    "  drop-sessions [LABEL] | limit-sessions N [LABEL] | login-per-session on|off\n"
    "  hsm-generated-iv on|off\n"
    "  wait-hung N [TIMEOUT_MS]\n"
    "FN: C_Encrypt ... | all | crypto.  RV: CKR_DEVICE_ERROR ... or a number.\n";

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "xks_fault_pkcs11_ctl: " << why << "\n" << kUsage;
  std::exit(2);
}

FaultFunction ParseFunction(const std::string& name) {
  if (name == "all") return FaultFunction::kAllCalls;
  if (name == "crypto") return FaultFunction::kAllCryptoCalls;
  if (auto f = xks::fault_pkcs11::FunctionByName(name)) return *f;
  Usage("unknown function " + name);
}

unsigned long ParseRv(const std::string& text) {
  if (text.rfind("CKR_", 0) == 0) return xks::pkcs11::CkRvByNameForTesting(text);
  return std::strtoul(text.c_str(), nullptr, 0);
}

// Splits "key=value" options from positional arguments.
Trigger ParseTrigger(std::vector<std::string>& args) {
  Trigger trigger;
  std::vector<std::string> positional;
  for (const std::string& arg : args) {
    if (arg.rfind("every=", 0) == 0) {
      trigger.every_nth = std::strtoull(arg.c_str() + 6, nullptr, 10);
    } else if (arg.rfind("times=", 0) == 0) {
      trigger.times = std::strtoull(arg.c_str() + 6, nullptr, 10);
    } else if (arg.rfind("token=", 0) == 0) {
      trigger.token_label = arg.substr(6);
    } else {
      positional.push_back(arg);
    }
  }
  args = positional;
  return trigger;
}

void PrintCounters(const FaultControl& control) {
  std::printf(
      "hung=%llu faults=%llu sessions_open=%llu sessions_dropped=%llu finalised=%llu "
      "gcm_ivs_generated=%llu\n",
      static_cast<unsigned long long>(control.HungCalls()),
      static_cast<unsigned long long>(control.FaultsInjected()),
      static_cast<unsigned long long>(control.SessionsOpen()),
      static_cast<unsigned long long>(control.SessionsDropped()),
      static_cast<unsigned long long>(control.TimesFinalisedUnderneath()),
      static_cast<unsigned long long>(control.GcmIvsGenerated()));
  for (std::size_t i = 0; i < xks::fault_pkcs11::kFunctionCount; ++i) {
    const auto f = static_cast<FaultFunction>(i);
    if (control.Calls(f) == 0) continue;
    std::printf("%s=%llu\n", std::string(xks::fault_pkcs11::FunctionName(f)).c_str(),
                static_cast<unsigned long long>(control.Calls(f)));
  }
}

// Runs one command; a command that adds a rule prints the rule's number.
int Run(FaultControl& c, const std::string& command, std::vector<std::string> args) {
  const Trigger t = ParseTrigger(args);
  auto arg = [&](std::size_t i) -> const std::string& {
    if (i >= args.size()) Usage(command + ": missing argument");
    return args[i];
  };
  const std::string label = args.empty() ? t.token_label : args[0];
  int rule = -1;
  if (command == "fail") rule = c.Fail(ParseFunction(arg(0)), ParseRv(arg(1)), t);
  if (command == "latency") {
    rule = c.AddLatency(ParseFunction(arg(0)),
                        std::chrono::microseconds(std::strtoull(arg(1).c_str(), nullptr, 10)), t);
  }
  if (command == "hang") rule = c.Hang(ParseFunction(arg(0)), t);
  if (command == "refuse-login") rule = c.RefuseLogin(ParseRv(arg(0)), t);
  if (command == "device-removed") rule = c.DeviceRemoved(label);
  if (command == "limit-sessions") {
    rule = c.LimitSessions(std::strtoull(arg(0).c_str(), nullptr, 10),
                           args.size() > 1 ? args[1] : t.token_label);
  }
  if (rule >= 0) {
    std::printf("%d\n", rule);
    return 0;
  }
  const std::map<std::string, std::function<void()>> commands = {
      {"remove", [&] { c.Remove(std::atoi(arg(0).c_str())); }},
      {"clear", [&] { c.Clear(); }},
      {"release", [&] { c.Release(); }},
      {"finalise", [&] { c.FinaliseUnderneath(); }},
      {"drop-sessions", [&] { c.DropSessions(label); }},
      {"login-per-session", [&] { c.RequireLoginPerSession(arg(0) == "on"); }},
      {"hsm-generated-iv", [&] { c.GenerateGcmIvInHsm(arg(0) == "on"); }},
      {"counters", [&] { PrintCounters(c); }},
  };
  if (auto it = commands.find(command); it != commands.end()) {
    it->second();
    return 0;
  }
  if (command != "wait-hung") Usage("unknown command " + command);
  const auto timeout = std::chrono::milliseconds(
      args.size() > 1 ? std::strtoull(args[1].c_str(), nullptr, 10) : 5000);
  return c.WaitForHungCalls(std::strtoull(arg(0).c_str(), nullptr, 10), timeout) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) Usage("FILE and COMMAND are required");
  const std::string path = argv[1], command = argv[2];
  std::string error;
  auto control = command == "create" ? FaultControl::CreateFile(path, &error)
                                     : FaultControl::Attach(path, &error);
  if (!control) {
    std::cerr << "xks_fault_pkcs11_ctl: " << error << "\n";
    return 1;
  }
  if (command == "create") return 0;
  return Run(*control, command, std::vector<std::string>(argv + 3, argv + argc));
}
