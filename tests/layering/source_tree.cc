#include "tests/layering/source_tree.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tests/layering/include_scanner.h"

namespace xks::layering {

const std::vector<std::string>& CheckedRoots() {
  static const std::vector<std::string> kRoots = {"base", "pkcs11", "proxy", "tools",
                                                  "conformance"};
  return kRoots;
}

std::vector<std::string> ListSourceFiles(const std::filesystem::path& source_root) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& root : CheckedRoots()) {
    const fs::path dir = source_root / root;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const fs::path& p = it->path();
      if (p.extension() != ".cc" && p.extension() != ".h") continue;
      out.push_back(p.lexically_relative(source_root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Violation> CheckTree(const std::filesystem::path& source_root) {
  std::vector<Violation> out;
  for (const std::string& file : ListSourceFiles(source_root)) {
    std::ifstream in(source_root / file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) {
      out.push_back(Violation{file, 0, "", false, "unreadable", "the file could not be read"});
      continue;
    }
    std::vector<Violation> found = CheckFile(file, ScanIncludes(text.str()));
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return out;
}

}  // namespace xks::layering
