#pragma once
// The one shape of a non-request failure: configuration, audit configuration, start-up, reload,
// and the background rooms (audit writer, signer, TLS). A request's failure is an xks::Error
// (proxy/common/error.h) instead, because it carries the spec's errorName to the client.
//
// A Problem says where (a JSON path such as "tenants[1].keys.k7.label", or a component such as
// "audit.signer" or "server.tls"), what is wrong, and how to fix it. It never contains a secret
// value. Lists of problems are collected, not stopped at the first one, so an operator sees
// everything that needs fixing at once. Value type.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace xks {

struct Problem {
  std::string path;     ///< JSON path or component; "" when nothing narrower applies
  std::string problem;  ///< what is wrong, e.g. "missing" or "must be an integer between 1 and 9"
  std::string fix;      ///< how to fix it; "" when the problem says it already

  /// "problem — fix" (without the path; the fix and its separator left out when empty).
  std::string Message() const;
  /// "path: problem — fix" (parts that are empty are left out with their separator).
  std::string ToString() const;
};

using Problems = std::vector<Problem>;

/// A problem with no fix hint.
inline Problem MakeProblem(std::string path, std::string problem, std::string fix = {}) {
  return Problem{std::move(path), std::move(problem), std::move(fix)};
}

/// A problem from one sentence written "problem — fix" (the fix is what follows the first " — ";
/// without one, the whole text is the problem). Validators write their messages this way so each
/// call site reads as one sentence; ToString() gives the same text back.
Problem ProblemFromText(std::string path, std::string_view text);

/// Writes ToString() (for test failure messages and operator output).
std::ostream& operator<<(std::ostream& out, const Problem& problem);

/// One line per problem (ToString), each ended by '\n'.
std::string FormatProblems(const Problems& problems);

}  // namespace xks
