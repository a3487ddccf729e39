// xks-audit: the standalone audit verifier/exporter, usable before xksctl exists.
#include <iostream>
#include <string>
#include <vector>

#include "base/version.h"
#include "proxy/audit/audit_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--version") {
    std::cout << xks::VersionLine("xks-audit") << "\n";
    return xks::audit::kExitOk;
  }
  try {
    return xks::audit::RunAuditCommand(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // The CLI is not on the request path; anything unexpected is an I/O-class failure.
    std::cerr << "error: " << e.what() << "\n";
    return xks::audit::kExitUsage;
  }
}
