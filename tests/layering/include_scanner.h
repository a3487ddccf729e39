#pragma once
// Reads the #include lines of a C++ source file (tests/layering: the layering check).

#include <string>
#include <string_view>
#include <vector>

namespace xks::layering {

// One `#include` line: `#include "proxy/api/wire.h"` gives {line, "proxy/api/wire.h", false}.
struct Include {
  int line = 0;         // 1-based line number in the including file
  std::string header;   // the path between the quotes or angle brackets
  bool angled = false;  // <...> (system or third-party) rather than "..." (project)
};

// Every `#include` directive of `text`, in order. Lines inside /* */ comments and lines whose
// first token is not `#` are skipped; `#  include` and leading blanks are accepted. Never fails:
// a malformed directive is simply not an include.
std::vector<Include> ScanIncludes(std::string_view text);

}  // namespace xks::layering
