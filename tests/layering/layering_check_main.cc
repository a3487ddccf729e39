// layering_check: runs the layering rules over the source tree (the same check as layering_test).
//   layering_check [--source-dir DIR]                   violations not on the allow-list, stale
//   entries layering_check [--source-dir DIR] --print-allow-list   the allow-list that matches
//   today's tree
// Exit status: 0 clean (or after printing the list), 1 on a violation or stale entry, 2 on usage.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "tests/layering/allow_list.h"
#include "tests/layering/source_tree.h"

namespace {

int Usage() {
  std::cerr << "usage: layering_check [--source-dir DIR] [--print-allow-list]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path root = XKS_SOURCE_DIR;
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--print-allow-list") {
      print = true;
    } else if (arg == "--source-dir" && i + 1 < argc) {
      root = argv[++i];
    } else {
      return Usage();
    }
  }
  namespace layering = xks::layering;
  const auto found = layering::CheckTree(root);
  if (print) {
    std::cout << layering::FormatAllowList(found);
    return 0;
  }
  std::ifstream in(root / "tests/layering/allow_list.txt");
  std::ostringstream text;
  if (in) text << in.rdbuf();
  const auto verdict = layering::ApplyAllowList(found, layering::ParseAllowList(text.str()));
  for (const auto& v : verdict.unlisted) std::cout << v.Describe() << "\n";
  for (const auto& e : verdict.stale) {
    std::cout << "tests/layering/allow_list.txt: stale entry (no longer a violation; delete it): "
              << e << "\n";
  }
  const bool clean = verdict.unlisted.empty() && verdict.stale.empty();
  std::cout << "layering_check: " << found.size() << " violation(s), "
            << found.size() - verdict.unlisted.size() << " allow-listed, " << verdict.stale.size()
            << " stale entr(ies): " << (clean ? "OK" : "FAIL") << "\n";
  return clean ? 0 : 1;
}
