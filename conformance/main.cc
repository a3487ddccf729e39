// xks-conformance: checks any XKS proxy endpoint against the AWS KMS XKS Proxy API v1 spec.
#include <iostream>

#include "base/version.h"
#include "conformance/config.h"
#include "conformance/report.h"
#include "conformance/runner.h"

int main(int argc, char** argv) {
  using namespace xks::conformance;
  using xks::Fail;
  using xks::Result;
  Result<Config, xks::Problems> config = [&]() -> Result<Config, xks::Problems> {
    try {
      return ParseCommandLine(argc, argv);
    } catch (const std::exception& e) {
      return Fail(xks::Problems{xks::MakeProblem("", e.what())});
    }
  }();
  if (!config.ok()) {
    std::cerr << xks::FormatProblems(config.error());
    return 2;
  }
  if (config->help) {
    std::cout << Usage();
    return 0;
  }
  if (config->version) {
    std::cout << xks::VersionLine("xks-conformance") << "\n";
    return 0;
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
