#include "base/problem.h"

namespace xks {

std::string Problem::ToString() const {
  std::string out = path;
  if (!problem.empty()) {
    if (!out.empty()) out += ": ";
    out += problem;
  }
  if (!fix.empty()) {
    if (!out.empty()) out += " — ";
    out += fix;
  }
  return out;
}

std::string FormatProblems(const Problems& problems) {
  std::string out;
  for (const Problem& p : problems) {
    out += p.ToString();
    out += '\n';
  }
  return out;
}

}  // namespace xks
