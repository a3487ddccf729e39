#include "tests/layering/allow_list.h"

#include <algorithm>
#include <map>
#include <set>

namespace xks::layering {
namespace {

std::string_view Trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kHeader =
    "# Known layering violations (tests/layering, docs/ARCHITECTURE.md). This list may only "
    "shrink:\n"
    "# an entry that no longer matches a violation fails the test. A new forbidden edge is fixed,\n"
    "# not listed. After fixing edges (or merging branches), regenerate the whole file with\n"
    "#   build/release/tests/layering/layering_check --print-allow-list > "
    "tests/layering/allow_list.txt\n"
    "# Format: <including file> -> <included header>  # <rule>\n";

}  // namespace

std::vector<std::string> ParseAllowList(std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::string key(line);
    if (seen.insert(key).second) out.push_back(std::move(key));
  }
  return out;
}

AllowListVerdict ApplyAllowList(const std::vector<Violation>& found,
                                const std::vector<std::string>& entries) {
  const std::set<std::string> listed(entries.begin(), entries.end());
  std::set<std::string> used;
  AllowListVerdict verdict;
  for (const Violation& v : found) {
    const std::string key = v.Key();
    if (listed.count(key) != 0) {
      used.insert(key);
    } else {
      verdict.unlisted.push_back(v);
    }
  }
  for (const std::string& entry : entries) {
    if (used.count(entry) == 0) verdict.stale.push_back(entry);
  }
  return verdict;
}

std::string FormatAllowList(const std::vector<Violation>& found) {
  std::map<std::string, std::string> rule_of_key;  // sorted, one line per key
  for (const Violation& v : found) rule_of_key.emplace(v.Key(), v.rule);
  std::string out(kHeader);
  for (const auto& [key, rule] : rule_of_key) out += key + "  # " + rule + "\n";
  return out;
}

}  // namespace xks::layering
