#include "conformance/runner.h"

#include <fnmatch.h>
#include <signal.h>

#include <chrono>

#include "conformance/case_builders.h"
#include "conformance/case_families.h"
#include "conformance/session.h"

namespace xks::conformance {
namespace {

std::vector<Case> Build() {
  cases::CatalogueBuilder b;
  cases::AddHealthCases(b);
  cases::AddMetadataCases(b);
  cases::AddEncryptCases(b);
  cases::AddDecryptCases(b);
  cases::AddErrorCases(b);
  cases::AddAuthCases(b);
  cases::AddTransportCases(b);
  return b.Take();
}

}  // namespace

const std::vector<Case>& Catalogue() {
  static const std::vector<Case> kCases = Build();
  return kCases;
}

bool MatchesAny(const std::string& id, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (p.find_first_of("*?[") != std::string::npos) {
      if (fnmatch(p.c_str(), id.c_str(), 0) == 0) return true;
    } else if (id.rfind(p, 0) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<CaseResult> RunConformance(const Config& config) {
  // OpenSSL writes to the socket with write(2): a peer that hangs up (e.g. refusing a client
  // certificate) must surface as an error on the case, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  Session session(config);
  std::vector<CaseResult> results;
  for (const Case& c : Catalogue()) {
    if (!MatchesAny(c.info.id, config.only)) continue;
    auto start = std::chrono::steady_clock::now();
    Verdict v = c.run(session);
    CaseResult r;
    r.info = c.info;
    r.outcome = v.outcome;
    r.observed = std::move(v.observed);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace xks::conformance
