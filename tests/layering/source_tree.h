#pragma once
// Walks the folders the layering rules govern and checks every C++ file in them.

#include <filesystem>
#include <string>
#include <vector>

#include "tests/layering/layering_rules.h"

namespace xks::layering {

// The folders walked, relative to the source root. tests/ is not among them: tests may include
// anything (their own test code beside production code is judged with its folder).
const std::vector<std::string>& CheckedRoots();

// The .cc and .h files under CheckedRoots() of `source_root`, as sorted root-relative paths with
// '/' separators. A missing root folder is skipped.
std::vector<std::string> ListSourceFiles(const std::filesystem::path& source_root);

// Every violation in the tree at `source_root`, in file order. A file that cannot be read is
// reported as a violation (rule "unreadable"), never skipped.
std::vector<Violation> CheckTree(const std::filesystem::path& source_root);

}  // namespace xks::layering
