#pragma once
// The conformance case catalogue and the runner that executes it against one endpoint.

#include <functional>
#include <string>
#include <vector>

#include "conformance/config.h"

namespace xks::conformance {

/// Outcome of one case. SKIP means an optional input was absent or the case does not apply
/// (e.g. TLS checks on an http:// endpoint); it never counts as a pass.
enum class Outcome { kPass, kFail, kSkip };

/// Static description of a case, as printed by --list.
struct CaseInfo {
  std::string id;           // e.g. "encrypt.aad-8192-accepted"
  std::string group;        // health, metadata, encrypt, decrypt, errors, auth, transport
  std::string spec_ref;     // the spec section the expectation comes from
  std::string expectation;  // what a conforming endpoint does
  bool required = true;     // MUST (true) or SHOULD (false)
};

/// What a case observed.
struct Verdict {
  Outcome outcome = Outcome::kFail;
  std::string observed;
};

/// One executed case.
struct CaseResult {
  CaseInfo info;
  Outcome outcome = Outcome::kFail;
  std::string observed;
  double seconds = 0;
};

class Session;

/// A catalogue entry: description plus the check itself.
struct Case {
  CaseInfo info;
  std::function<Verdict(Session&)> run;
};

/// The full catalogue, in report order. Built once; thread-safe to read.
const std::vector<Case>& Catalogue();

/// True when `id` matches one of `patterns` (glob with '*' and '?', or a plain id prefix), or when
/// `patterns` is empty.
bool MatchesAny(const std::string& id, const std::vector<std::string>& patterns);

/// Runs every selected case, in catalogue order, sequentially. Never throws for endpoint
/// misbehaviour: failures are reported in the results. Not thread-safe per Config.
/// Sets SIGPIPE to ignored for the process (TLS writes to a closed peer must not kill it).
std::vector<CaseResult> RunConformance(const Config& config);

}  // namespace xks::conformance
