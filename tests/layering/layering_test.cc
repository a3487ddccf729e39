// The layering rules over the real tree: fails listing file:line, the edge and the rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/layering/allow_list.h"
#include "tests/layering/source_tree.h"

namespace xks::layering {
namespace {

constexpr char kRegenerate[] =
    "regenerate the list with: build/release/tests/layering/layering_check --print-allow-list > "
    "tests/layering/allow_list.txt";

std::string ReadAllowList() {
  std::ifstream in(std::filesystem::path(XKS_SOURCE_DIR) / "tests/layering/allow_list.txt");
  std::ostringstream text;
  if (in) text << in.rdbuf();
  return text.str();
}

TEST(LayeringTest, TheTreeIsWalked) {
  // A wrong XKS_SOURCE_DIR would make every other check pass vacuously.
  const auto files = ListSourceFiles(XKS_SOURCE_DIR);
  EXPECT_GT(files.size(), 100u);
  EXPECT_NE(std::find(files.begin(), files.end(), "proxy/api/wire.h"), files.end());
}

TEST(LayeringTest, NoIncludeBreaksTheLayerTable) {
  const auto verdict = ApplyAllowList(CheckTree(XKS_SOURCE_DIR), ParseAllowList(ReadAllowList()));
  std::string report;
  for (const Violation& v : verdict.unlisted) report += "  " + v.Describe() + "\n";
  EXPECT_TRUE(verdict.unlisted.empty())
      << "forbidden includes (docs/ARCHITECTURE.md, Layers): fix the include, do not list it\n"
      << report;
}

TEST(LayeringTest, TheAllowListHasNoStaleEntries) {
  const auto verdict = ApplyAllowList(CheckTree(XKS_SOURCE_DIR), ParseAllowList(ReadAllowList()));
  std::string report;
  for (const std::string& e : verdict.stale) report += "  " + e + "\n";
  EXPECT_TRUE(verdict.stale.empty())
      << "tests/layering/allow_list.txt lists edges that are gone; the list only shrinks, so "
      << kRegenerate << "\n"
      << report;
}

}  // namespace
}  // namespace xks::layering
