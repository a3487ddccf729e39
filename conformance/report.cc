#include "conformance/report.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace xks::conformance {
namespace {

const char* Label(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "PASS";
    case Outcome::kFail:
      return "FAIL";
    case Outcome::kSkip:
      return "SKIP";
  }
  return "?";
}

const char* Level(const CaseInfo& i) { return i.required ? "MUST" : "SHOULD"; }

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters even when escaped; observations can carry them.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

void PrintReport(std::ostream& out, const std::vector<CaseResult>& results, bool verbose) {
  int pass = 0, fail_must = 0, fail_should = 0, skip = 0;
  for (const auto& r : results) {
    out << Label(r.outcome) << "  " << r.info.id << "  [" << Level(r.info) << ", "
        << r.info.spec_ref << "]\n";
    if (r.outcome != Outcome::kPass || verbose) {
      out << "      expected: " << r.info.expectation << "\n";
      out << "      observed: " << r.observed << "\n";
    }
    switch (r.outcome) {
      case Outcome::kPass:
        ++pass;
        break;
      case Outcome::kSkip:
        ++skip;
        break;
      case Outcome::kFail:
        (r.info.required ? fail_must : fail_should)++;
        break;
    }
  }
  out << "\n"
      << results.size() << " cases: " << pass << " passed, " << fail_must << " failed (MUST), "
      << fail_should << " failed (SHOULD), " << skip << " skipped\n";
  out << (fail_must == 0 ? "RESULT: CONFORMANT (all required cases passed)\n"
                         : "RESULT: NOT CONFORMANT\n");
}

void PrintCatalogue(std::ostream& out, const std::vector<Case>& cases) {
  std::map<std::string, int> per_group;
  for (const auto& c : cases) {
    out << c.info.id << "  [" << Level(c.info) << ", " << c.info.spec_ref << "]\n      "
        << c.info.expectation << "\n";
    per_group[c.info.group]++;
  }
  out << "\n" << cases.size() << " cases:";
  for (const auto& [g, n] : per_group) out << " " << g << "=" << n;
  out << "\n";
}

namespace {

// "[MUST, spec section] expected: ...; observed: ...". Built by appending: GCC 12 at -O3 reports a
// false -Wstringop-overflow for `"literal" + std::string&&` (basic_string::insert at position 0).
std::string CaseDetail(const CaseResult& r) {
  std::string detail = "[";
  detail.append(Level(r.info))
      .append(", ")
      .append(r.info.spec_ref)
      .append("] expected: ")
      .append(r.info.expectation)
      .append("; observed: ")
      .append(r.observed);
  return detail;
}

}  // namespace

std::string JUnitXml(const std::vector<CaseResult>& results) {
  std::map<std::string, std::vector<const CaseResult*>> groups;
  std::vector<std::string> order;
  for (const auto& r : results) {
    if (!groups.count(r.info.group)) order.push_back(r.info.group);
    groups[r.info.group].push_back(&r);
  }
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"xks-conformance\">\n";
  for (const auto& g : order) {
    int failures = 0, skipped = 0;
    double time = 0;
    for (const auto* r : groups[g]) {
      failures += r->outcome == Outcome::kFail;
      skipped += r->outcome == Outcome::kSkip;
      time += r->seconds;
    }
    char t[32];
    std::snprintf(t, sizeof(t), "%.3f", time);
    x << "  <testsuite name=\"xks-conformance." << XmlEscape(g) << "\" tests=\"" << groups[g].size()
      << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\""
      << t << "\">\n";
    for (const auto* r : groups[g]) {
      std::snprintf(t, sizeof(t), "%.3f", r->seconds);
      x << "    <testcase classname=\"xks-conformance." << XmlEscape(g) << "\" name=\""
        << XmlEscape(r->info.id) << "\" time=\"" << t << "\">\n";
      const std::string detail = CaseDetail(*r);
      if (r->outcome == Outcome::kFail) {
        x << "      <failure message=\"" << XmlEscape(detail) << "\" type=\"" << Level(r->info)
          << "\"/>\n";
      } else if (r->outcome == Outcome::kSkip) {
        x << "      <skipped message=\"" << XmlEscape(r->observed) << "\"/>\n";
      }
      x << "      <system-out>" << XmlEscape(detail) << "</system-out>\n    </testcase>\n";
    }
    x << "  </testsuite>\n";
  }
  x << "</testsuites>\n";
  return x.str();
}

Result<void, Problem> WriteJUnit(const std::string& path, const std::vector<CaseResult>& results) {
  // The --junit flag is what the operator changes when the file cannot be written.
  const Problem unwritable = MakeProblem("--junit", "cannot write " + path);
  std::ofstream f(path, std::ios::trunc);
  if (!f) return Fail(unwritable);
  f << JUnitXml(results);
  if (!f.flush()) return Fail(unwritable);
  return {};
}

bool AllRequiredPassed(const std::vector<CaseResult>& results) {
  for (const auto& r : results) {
    if (r.info.required && r.outcome == Outcome::kFail) return false;
  }
  return true;
}

}  // namespace xks::conformance
