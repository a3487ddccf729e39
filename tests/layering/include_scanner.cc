#include "tests/layering/include_scanner.h"

#include <cctype>
#include <cstddef>

namespace xks::layering {
namespace {

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  return s;
}

// `rest` follows `#`; returns true and fills `inc` when it is an include directive.
bool ParseDirective(std::string_view rest, Include& inc) {
  rest = TrimLeft(rest);
  constexpr std::string_view kInclude = "include";
  if (!rest.starts_with(kInclude)) return false;
  rest = TrimLeft(rest.substr(kInclude.size()));
  if (rest.empty() || (rest.front() != '"' && rest.front() != '<')) return false;
  const char close = rest.front() == '"' ? '"' : '>';
  const std::size_t end = rest.find(close, 1);
  if (end == std::string_view::npos || end == 1) return false;
  inc.header = std::string(rest.substr(1, end - 1));
  inc.angled = close == '>';
  return true;
}

}  // namespace

std::vector<Include> ScanIncludes(std::string_view text) {
  std::vector<Include> out;
  bool in_block_comment = false;
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    // A directive inside a block comment is documentation, not an edge. Comments that open and
    // close on a directive's own line do not occur in this tree; they would only hide the line.
    if (in_block_comment) {
      const std::size_t close = line.find("*/");
      if (close == std::string_view::npos) continue;
      in_block_comment = false;
      line = line.substr(close + 2);
    }
    const std::string_view trimmed = TrimLeft(line);
    if (trimmed.starts_with("#")) {
      Include inc;
      inc.line = line_no;
      if (ParseDirective(trimmed.substr(1), inc)) out.push_back(std::move(inc));
      continue;
    }
    if (trimmed.starts_with("//")) continue;
    const std::size_t open = trimmed.find("/*");
    if (open != std::string_view::npos && trimmed.find("*/", open + 2) == std::string_view::npos) {
      in_block_comment = true;
    }
  }
  return out;
}

}  // namespace xks::layering
