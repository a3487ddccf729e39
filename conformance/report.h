#pragma once
// Human-readable and JUnit XML reports of a conformance run.

#include <ostream>
#include <string>
#include <vector>

#include "base/problem.h"
#include "base/result.h"
#include "conformance/runner.h"

namespace xks::conformance {

/// Prints one block per case (id, MUST/SHOULD, spec reference, expectation, observation, status)
/// and a summary. Passing cases print one line unless `verbose`.
void PrintReport(std::ostream& out, const std::vector<CaseResult>& results, bool verbose);

/// Prints the catalogue (id, group, MUST/SHOULD, spec reference, expectation).
void PrintCatalogue(std::ostream& out, const std::vector<Case>& cases);

/// Renders JUnit XML: one <testsuite> per group, a <failure> for FAIL and <skipped> for SKIP.
/// Recommended (SHOULD) failures are reported as failures too, with "[SHOULD]" in the message.
std::string JUnitXml(const std::vector<CaseResult>& results);

/// Writes JUnitXml(results) to `path`; a failure is a Problem at "--junit".
Result<void, Problem> WriteJUnit(const std::string& path, const std::vector<CaseResult>& results);

/// True when no required case failed (the process exit criterion).
bool AllRequiredPassed(const std::vector<CaseResult>& results);

}  // namespace xks::conformance
