// xks-conformance: checks any XKS proxy endpoint against the AWS KMS XKS Proxy API v1 spec.
#include <iostream>

#include "conformance/config.h"
#include "conformance/report.h"
#include "conformance/runner.h"

int main(int argc, char** argv) {
  using namespace xks::conformance;
  using xks::Fail;
  using xks::Result;
  bool help = false;
  Result<Config, std::string> config = [&]() -> Result<Config, std::string> {
    try {
      return ParseCommandLine(argc, argv, help);
    } catch (const std::exception& e) {
      return Fail(std::string(e.what()));
    }
  }();
  if (!config.ok()) {
    (help ? std::cout : std::cerr) << config.error() << (help ? "" : "\n");
    return help ? 0 : 2;
  }
  if (config->list) {
    std::vector<Case> selected;
    for (const auto& c : Catalogue()) {
      if (MatchesAny(c.info.id, config->only)) selected.push_back(c);
    }
    PrintCatalogue(std::cout, selected);
    return 0;
  }
  std::cout << "xks-conformance: " << config->endpoint << " prefix '" << config->tenant.uri_prefix
            << "/kms/xks/v1'\n\n";
  std::vector<CaseResult> results = RunConformance(*config);
  if (results.empty()) {
    std::cerr << "no case matches --only\n";
    return 2;
  }
  PrintReport(std::cout, results, config->verbose);
  if (!config->junit_file.empty()) {
    if (auto w = WriteJUnit(config->junit_file, results); !w.ok()) {
      std::cerr << w.error().ToString() << "\n";
      return 2;
    }
  }
  return AllRequiredPassed(results) ? 0 : 1;
}
