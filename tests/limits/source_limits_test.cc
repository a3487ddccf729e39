// The size rules of docs/ARCHITECTURE.md: no file under base/, pkcs11/, proxy/, tools/ or
// conformance/ (tests aside) over 500 lines, no function over 80 lines except tables of cases.
// What the tree still breaks sits in tests/limits/allow-list.txt, which may only shrink: a new
// breach fails, a listed one that grew past its number fails, and an entry that no longer breaks
// the rule (or no longer exists) fails until it is deleted. To print the list for the current
// tree: XKS_PRINT_LIMITS=1 build/release/tests/limits/limits_test | sed -n 's/^ALLOW //p'

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/limits/source_scanner.h"

namespace xks::limits {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxFileLines = 500;
constexpr int kMaxFunctionLines = 80;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---- the scanner --------------------------------------------------------------------------

std::vector<std::string> Names(const std::vector<FunctionSpan>& spans) {
  std::vector<std::string> names;
  for (const auto& span : spans) names.push_back(span.name);
  return names;
}

TEST(SourceScannerTest, CommentsAndLiteralsHideTheirBraces) {
  const std::string source =
      "void F() {\n"
      "  // } a brace in a comment\n"
      "  /* { another */ const char* s = \"}{\";\n"
      "  char c = '}';\n"
      "  auto raw = R\"x(})\" }\n)x\";\n"
      "  int n = 1'000'000;\n"
      "}\n"
      "void G() {}\n";
  const auto spans = FindFunctions(source);
  ASSERT_EQ(Names(spans), (std::vector<std::string>{"F", "G"}));
  EXPECT_EQ(spans[0].first_line, 1);
  EXPECT_EQ(spans[0].last_line, 8);
  EXPECT_EQ(spans[0].lines(), 8);
  EXPECT_EQ(spans[1].lines(), 1);
  EXPECT_EQ(StripCommentsAndLiterals("a // b\nc").find('b'), std::string::npos);
}

TEST(SourceScannerTest, ScopesAndInitialisersAreNotFunctions) {
  const std::string source =
      "namespace a {\n"
      "extern \"C\" {\n"
      "}\n"
      "enum class E : int { kA, kB };\n"
      "template <typename T>\n"
      "struct S : Base<T> {\n"
      "  int x{1};\n"
      "  std::vector<int> v = {1, 2};\n"
      "  int Get() const { return x; }\n"
      " public:\n"
      "  S() : x_(1), y_{2} {\n"
      "    Do();\n"
      "  }\n"
      "  bool operator()(int v) const { return v; }\n"
      "  bool operator==(const S&) const = default;\n"
      "};\n"
      "const int kTable[] = {\n"
      "  1, 2,\n"
      "};\n"
      "auto Trailing() -> std::optional<int> {\n"
      "  return {};\n"
      "}\n"
      "#define BODY { x }\n"
      "}  // namespace a\n";
  const auto spans = FindFunctions(source);
  EXPECT_EQ(Names(spans), (std::vector<std::string>{"Get", "S", "operator()", "Trailing"}));
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[1].first_line, 11);
  EXPECT_EQ(spans[1].last_line, 13);
}

TEST(SourceScannerTest, LambdasAndLocalBlocksBelongToTheirFunction) {
  const std::string source =
      "void Outer::Run(int n) requires(true) {\n"
      "  auto f = [&](int x) {\n"
      "    if (x) { return; }\n"
      "  };\n"
      "  struct Local { int y; };\n"
      "}\n"
      "TEST_F(Suite, Name) {\n"
      "  EXPECT_TRUE(true);\n"
      "}\n"
      "auto kHandler = [](int) {\n"
      "};\n";
  const auto spans = FindFunctions(source);
  ASSERT_EQ(Names(spans),
            (std::vector<std::string>{"Outer::Run", "TEST_F(Suite, Name)", "<lambda>"}));
  EXPECT_EQ(spans[0].lines(), 6);
  EXPECT_EQ(spans[1].lines(), 3);
}

TEST(SourceScannerTest, CountLinesCountsAnUnterminatedLastLine) {
  EXPECT_EQ(CountLines(""), 0);
  EXPECT_EQ(CountLines("a\n"), 1);
  EXPECT_EQ(CountLines("a\nb"), 2);
}

// ---- the tree -----------------------------------------------------------------------------

struct Breach {
  std::string key;  ///< "file <path>" or "function <path> <name>"
  int lines = 0;
};

bool IsTestCode(const std::string& relative) {
  return relative.ends_with("_test.cc") || relative.find("/testing/") != std::string::npos ||
         relative.find("test_support") != std::string::npos || relative == "pkcs11/testing.h";
}

std::vector<Breach> BreachesOfTheTree(const fs::path& root) {
  std::vector<Breach> breaches;
  for (const char* folder : {"base", "pkcs11", "proxy", "tools", "conformance"}) {
    if (!fs::exists(root / folder)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
      const std::string extension = entry.path().extension().string();
      if (!entry.is_regular_file() || (extension != ".cc" && extension != ".h")) continue;
      const std::string relative = fs::relative(entry.path(), root).generic_string();
      if (IsTestCode(relative)) continue;
      const std::string source = ReadFile(entry.path());
      if (const int lines = CountLines(source); lines > kMaxFileLines) {
        breaches.push_back({"file " + relative, lines});
      }
      for (const FunctionSpan& span : FindFunctions(source)) {
        if (span.lines() > kMaxFunctionLines) {
          breaches.push_back({"function " + relative + " " + span.name, span.lines()});
        }
      }
    }
  }
  std::sort(breaches.begin(), breaches.end(),
            [](const Breach& a, const Breach& b) { return a.key < b.key; });
  return breaches;
}

// Lines: "file <path> <lines>", "function <path> <lines> <name...>" (the allowed size), or
// "table <path> <name...>" (a table of cases: exempt). '#' starts a comment.
struct AllowList {
  std::map<std::string, int> allowed;  // key as in Breach
  std::map<std::string, bool> tables;  // "function <path> <name>" -> seen in the tree
};

AllowList ReadAllowList(const fs::path& path) {
  AllowList list;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string kind, file;
    fields >> kind >> file;
    if (kind == "file") {
      int lines = 0;
      fields >> lines;
      list.allowed["file " + file] = lines;
    } else if (kind == "function") {
      int lines = 0;
      fields >> lines;
      std::string name;
      std::getline(fields >> std::ws, name);
      list.allowed["function " + file + " " + name] = lines;
    } else if (kind == "table") {
      std::string name;
      std::getline(fields >> std::ws, name);
      list.tables["function " + file + " " + name] = false;
    } else {
      ADD_FAILURE() << "allow-list line not understood: " << line;
    }
  }
  return list;
}

std::string AllowListLine(const Breach& breach) {
  if (breach.key.starts_with("file ")) return breach.key + " " + std::to_string(breach.lines);
  // "function <path> <name>" -> "function <path> <lines> <name>"
  const std::size_t path_end = breach.key.find(' ', 9);
  return breach.key.substr(0, path_end) + " " + std::to_string(breach.lines) +
         breach.key.substr(path_end);
}

TEST(SourceLimitsTest, NoFileOrFunctionOutgrowsTheLimitsOrItsAllowListEntry) {
  const fs::path root = XKS_SOURCE_DIR;
  AllowList list = ReadAllowList(root / "tests/limits/allow-list.txt");
  const std::vector<Breach> breaches = BreachesOfTheTree(root);
  if (std::getenv("XKS_PRINT_LIMITS") != nullptr) {
    for (const Breach& breach : breaches) {
      if (!list.tables.contains(breach.key)) std::cout << "ALLOW " << AllowListLine(breach) << "\n";
    }
  }
  std::map<std::string, bool> seen;
  for (const Breach& breach : breaches) {
    if (auto table = list.tables.find(breach.key); table != list.tables.end()) {
      table->second = true;
      continue;
    }
    const auto entry = list.allowed.find(breach.key);
    if (entry == list.allowed.end()) {
      ADD_FAILURE() << breach.key << " has " << breach.lines << " lines (limit "
                    << (breach.key.starts_with("file ") ? kMaxFileLines : kMaxFunctionLines)
                    << "): split it";
      continue;
    }
    seen[breach.key] = true;
    EXPECT_LE(breach.lines, entry->second)
        << breach.key << " grew past its allow-list entry: the list may only shrink";
  }
  for (const auto& [key, lines] : list.allowed) {
    EXPECT_TRUE(seen.contains(key))
        << "stale allow-list entry (now within the limit, or gone): delete it: " << key;
  }
  for (const auto& [key, found] : list.tables) {
    EXPECT_TRUE(found) << "stale table entry (within the limit, or gone): delete it: " << key;
  }
}

}  // namespace
}  // namespace xks::limits
