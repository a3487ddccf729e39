// The checker on synthetic files: each rule fires on the edge it forbids and stays quiet on the
// edges the table allows; a stale allow-list entry is reported (the test of the test).
#include "tests/layering/layering_rules.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tests/layering/allow_list.h"
#include "tests/layering/include_scanner.h"
#include "tests/layering/source_tree.h"

namespace xks::layering {
namespace {

std::vector<Violation> Check(const std::string& path, const std::string& text) {
  return CheckFile(path, ScanIncludes(text));
}

std::vector<std::string> Rules(const std::vector<Violation>& vs) {
  std::vector<std::string> out;
  for (const Violation& v : vs) out.push_back(v.rule);
  return out;
}

using RuleList = std::vector<std::string>;

TEST(IncludeScannerTest, ReadsQuotedAndAngledIncludesWithLineNumbers) {
  const auto incs = ScanIncludes(
      "// a comment #include \"no.h\"\n"
      "#include \"proxy/api/wire.h\"\n"
      "  #  include <p11-kit/pkcs11.h>  // why\n"
      "/* #include \"hidden.h\"\n"
      "   #include \"also_hidden.h\" */\n"
      "#include_next <x.h>\n"
      "#define X 1\n"
      "#include <string>");
  ASSERT_EQ(incs.size(), 3u);
  EXPECT_EQ(incs[0].line, 2);
  EXPECT_EQ(incs[0].header, "proxy/api/wire.h");
  EXPECT_FALSE(incs[0].angled);
  EXPECT_EQ(incs[1].line, 3);
  EXPECT_EQ(incs[1].header, "p11-kit/pkcs11.h");
  EXPECT_TRUE(incs[1].angled);
  EXPECT_EQ(incs[2].line, 8);
  EXPECT_EQ(incs[2].header, "string");
}

TEST(LayeringRulesTest, MapsPathsToFolders) {
  const struct {
    const char* path;
    std::optional<std::string> folder;
  } kCases[] = {
      {"proxy/api/wire.h", "proxy/api"},
      {"proxy/api/testing/fakes.h", "proxy/api"},
      {"tools/xksctl/secrets.h", "tools"},
      {"base/result.h", "base"},
      {"tests/support/temp_dir.h", "tests/support"},
      {"tests/audit/audit_test_util.h", "tests"},
      {"proxy/newroom/x.h", std::nullopt},
      {"wire.h", std::nullopt},
      {"basement/x.h", std::nullopt},  // a name prefix is not a folder
  };
  for (const auto& c : kCases) EXPECT_EQ(FolderOf(c.path), c.folder) << c.path;
}

TEST(LayeringRulesTest, AllowsDownwardAndOwnFolderEdges) {
  EXPECT_TRUE(Check("proxy/api/x.cc",
                    "#include \"proxy/api/wire.h\"\n"
                    "#include \"proxy/tenant/config.h\"\n"
                    "#include \"proxy/audit/audit_sink.h\"\n"
                    "#include \"proxy/common/log.h\"\n"
                    "#include \"pkcs11/hsm.h\"\n"
                    "#include \"base/result.h\"\n")
                  .empty());
  EXPECT_TRUE(Check("tools/xksctl/x.cc", "#include \"proxy/runtime/proxy_app.h\"").empty());
  EXPECT_TRUE(Check("pkcs11/module.cc", "#include <p11-kit/p11-kit.h>").empty());
  EXPECT_TRUE(Check("proxy/server/server.cc", "#include <boost/beast/http.hpp>").empty());
  EXPECT_TRUE(Check("tools/xksctl/health_commands.cc", "#include <boost/asio/ssl.hpp>").empty());
}

TEST(LayeringRulesTest, ForbidsAnUpwardEdge) {
  const auto vs = Check("pkcs11/token.cc", "#include <string>\n#include \"proxy/api/wire.h\"\n");
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].rule, "upward-edge");
  EXPECT_EQ(vs[0].line, 2);
  EXPECT_EQ(vs[0].Key(), "pkcs11/token.cc -> proxy/api/wire.h");
  EXPECT_EQ(
      vs[0].Describe().rfind(
          "pkcs11/token.cc:2: #include \"proxy/api/wire.h\" (pkcs11 -> proxy/api) [upward-edge]",
          0),
      0u);
  EXPECT_EQ(Rules(Check("base/x.h", "#include \"pkcs11/result.h\"")), RuleList{"upward-edge"});
  EXPECT_EQ(Rules(Check("proxy/tenant/x.cc", "#include \"proxy/api/wire.h\"")),
            RuleList{"upward-edge"});
}

TEST(LayeringRulesTest, ForbidsSiblingEdgesOfEqualRank) {
  for (const char* from : {"proxy/auth/x.cc", "proxy/tenant/x.cc", "proxy/server/x.h"}) {
    EXPECT_EQ(Rules(Check(from, "#include \"proxy/audit/audit_sink.h\"")), RuleList{"sibling-edge"})
        << from;
  }
}

TEST(LayeringRulesTest, ConformanceUsesBaseOnly) {
  EXPECT_TRUE(Check("conformance/runner.cc", "#include \"base/result.h\"").empty());
  EXPECT_EQ(Rules(Check("conformance/runner.cc", "#include \"pkcs11/result.h\"")),
            RuleList{"restricted-folder"});
  EXPECT_EQ(Rules(Check("conformance/runner.cc", "#include \"proxy/auth/sigv4_signer.h\"")),
            RuleList{"restricted-folder"});
}

TEST(LayeringRulesTest, P11KitOnlyInsidePkcs11) {
  EXPECT_EQ(Rules(Check("proxy/runtime/x.cc", "#include <p11-kit/pkcs11.h>")),
            RuleList{"p11-kit-outside-pkcs11"});
  EXPECT_EQ(Rules(Check("tools/xksctl/x.cc", "#include <pkcs11.h>")),
            RuleList{"p11-kit-outside-pkcs11"});
}

TEST(LayeringRulesTest, BeastAndAsioOnlyInTheServer) {
  EXPECT_EQ(Rules(Check("proxy/api/x.cc", "#include <boost/beast/http.hpp>")),
            RuleList{"beast-outside-server"});
  EXPECT_EQ(Rules(Check("tools/xksctl/other.cc", "#include <boost/asio/ip/tcp.hpp>")),
            RuleList{"beast-outside-server"});
  EXPECT_TRUE(Check("tools/loadgen/connection.h", "#include <boost/beast/http.hpp>").empty());
  EXPECT_EQ(Rules(Check("tools/loadgenerator.cc", "#include <boost/asio.hpp>")),
            RuleList{"beast-outside-server"});
}

TEST(LayeringRulesTest, BaseUsesNoThirdPartyLibraryButOpenSsl) {
  EXPECT_TRUE(Check("base/sha256.cc", "#include <openssl/evp.h>\n#include <unistd.h>").empty());
  EXPECT_EQ(Rules(Check("base/x.cc", "#include <nlohmann/json.hpp>")),
            RuleList{"base-third-party"});
  EXPECT_TRUE(Check("base/x_test.cc", "#include <gtest/gtest.h>").empty());
}

TEST(LayeringRulesTest, TestSupportOnlyFromTestCode) {
  const std::string inc = "#include \"tests/support/temp_dir.h\"";
  EXPECT_TRUE(Check("pkcs11/session_pool_test.cc", inc).empty());
  EXPECT_TRUE(Check("pkcs11/pkcs11_bench.cc", inc).empty());
  EXPECT_TRUE(Check("proxy/api/testing/fakes.cc", inc).empty());
  EXPECT_EQ(Rules(Check("pkcs11/session_pool.cc", inc)), RuleList{"test-support-in-production"});
  EXPECT_EQ(Rules(Check("proxy/api/wire.cc", "#include \"tests/audit/audit_test_util.h\"")),
            RuleList{"tests-not-a-library"});
  // A test beside code gains tests/support only, not other folders' rights.
  EXPECT_EQ(Rules(Check("proxy/tenant/config_test.cc", "#include \"proxy/api/testing/fakes.h\"")),
            RuleList{"upward-edge"});
}

TEST(LayeringRulesTest, UnknownFoldersAndUnrootedIncludesFail) {
  EXPECT_EQ(Rules(Check("proxy/api/x.cc", "#include \"wire.h\"")), RuleList{"unknown-folder"});
  EXPECT_EQ(Rules(Check("proxy/newroom/x.cc", "")), RuleList{"folder-not-in-table"});
  EXPECT_TRUE(Check("tests/api/x.cc", "#include <p11-kit/pkcs11.h>\n#include \"proxy/x/y.h\"")
                  .empty());  // tests/ may include anything
}

TEST(AllowListTest, ListedViolationsPassAndStaleEntriesFail) {
  const auto found = Check("pkcs11/token.cc",
                           "#include \"proxy/api/wire.h\"\n"
                           "#include \"proxy/api/wire.h\"\n");
  ASSERT_EQ(found.size(), 2u);
  const auto entries = ParseAllowList(
      "# comment\n\n  pkcs11/token.cc -> proxy/api/wire.h  # upward-edge\n"
      "pkcs11/gone.cc -> proxy/api/wire.h\n");
  ASSERT_EQ(entries.size(), 2u);
  const auto verdict = ApplyAllowList(found, entries);
  EXPECT_TRUE(verdict.unlisted.empty());
  ASSERT_EQ(verdict.stale.size(), 1u);
  EXPECT_EQ(verdict.stale[0], "pkcs11/gone.cc -> proxy/api/wire.h");

  const auto unlisted = ApplyAllowList(found, {});
  EXPECT_EQ(unlisted.unlisted.size(), 2u);
}

TEST(AllowListTest, FormattedListRoundTrips) {
  auto found = Check("pkcs11/token.cc", "#include \"proxy/api/wire.h\"");
  const auto more = Check("proxy/runtime/x.cc", "#include <p11-kit/pkcs11.h>");
  found.insert(found.end(), more.begin(), more.end());
  const std::string text = FormatAllowList(found);
  EXPECT_NE(text.find("pkcs11/token.cc -> proxy/api/wire.h  # upward-edge\n"), std::string::npos);
  const auto verdict = ApplyAllowList(found, ParseAllowList(text));
  EXPECT_TRUE(verdict.unlisted.empty());
  EXPECT_TRUE(verdict.stale.empty());
}

// A synthetic tree on disk: CheckTree walks only the governed folders and finds the edge.
TEST(SourceTreeTest, CheckTreeFindsAForbiddenEdgeOnDisk) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "layering-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path root = tmpl;
  const auto write = [&](const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  };
  write("pkcs11/ok.h", "#include \"base/result.h\"\n");
  write("proxy/common/bad.cc", "#include \"proxy/server/server.h\"\n");
  write("tests/anything.cc", "#include <p11-kit/pkcs11.h>\n");
  write("pkcs11/notes.txt", "#include \"proxy/api/wire.h\"\n");
  const auto found = CheckTree(root);
  std::filesystem::remove_all(root);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].file, "proxy/common/bad.cc");
  EXPECT_EQ(found[0].line, 1);
  EXPECT_EQ(found[0].rule, "upward-edge");
}

}  // namespace
}  // namespace xks::layering
