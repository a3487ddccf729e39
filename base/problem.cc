#include "base/problem.h"

#include <ostream>

namespace xks {

std::string Problem::Message() const {
  if (fix.empty()) return problem;
  if (problem.empty()) return fix;
  return problem + " — " + fix;
}

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

Problem ProblemFromText(std::string path, std::string_view text) {
  constexpr std::string_view kSeparator = " — ";
  const std::size_t at = text.find(kSeparator);
  if (at == std::string_view::npos) return Problem{std::move(path), std::string(text), {}};
  return Problem{std::move(path), std::string(text.substr(0, at)),
                 std::string(text.substr(at + kSeparator.size()))};
}

std::ostream& operator<<(std::ostream& out, const Problem& problem) {
  return out << problem.ToString();
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
