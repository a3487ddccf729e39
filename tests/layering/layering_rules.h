#pragma once
// The layer table of docs/ARCHITECTURE.md and the rules that judge one #include edge.
// Thread safety: pure functions over constant tables.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/layering/include_scanner.h"

namespace xks::layering {

// One row of the layer table: a folder (relative to the source root) and its rank. A file may
// include headers of its own folder and of folders of strictly lower rank; siblings of equal rank
// only where kSiblingEdges says so. `only` (when non-empty) narrows the folder to those targets.
struct LayerRow {
  std::string_view folder;
  int rank = 0;
  std::vector<std::string_view> only;
};

// The table, from base/ (0) up to tools/ and conformance/ (6).
const std::vector<LayerRow>& LayerTable();

// The folder of `path` ("proxy/api/wire.h" -> "proxy/api"), or nullopt when no row matches.
// tests/support/ is its own pseudo-folder (test code only); any other tests/ path maps to "tests".
std::optional<std::string> FolderOf(std::string_view path);

// True for test code that sits beside production code: *_test.cc, *_bench.cc, files under a
// testing/ folder and test_support.{h,cc}. Such files may also include tests/support/.
bool IsTestCode(std::string_view path);

// One forbidden edge. `rule` is a stable short id (also the allow-list comment); `message` says
// what the rule is, for the failure output.
struct Violation {
  std::string file;     // the including file, relative to the source root
  int line = 0;         // 0 when the violation is about the file itself (folder not in the table)
  std::string header;   // the included header as written, empty for file-level violations
  bool angled = false;  // the header was included as <...>
  std::string rule;
  std::string message;

  // `file:line: #include "header" (from-folder -> to-folder) [rule]: message`, the line a
  // failing test prints.
  std::string Describe() const;
  // "file -> header", the allow-list key (no line number: it must survive edits above it).
  std::string Key() const;
};

// The violations of one file (path relative to the source root) with the given includes.
std::vector<Violation> CheckFile(std::string_view path, const std::vector<Include>& includes);

}  // namespace xks::layering
