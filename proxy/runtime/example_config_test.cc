// The shipped example configurations must stay acceptable to every parser that reads them:
// config/example.json to the tenant loader's (tested in proxy/tenant) and the audit writer's, its
// audit signer not in a tenant's token; every vendor profile in config/profiles/ to ParseConfig
// as a whole.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "proxy/config/audit_config.h"
#include "proxy/config/config.h"

namespace xks::runtime {
namespace {

namespace fs = std::filesystem;

TEST(ExampleConfigTest, AuditSectionParsesAndItsSignerTokenIsNoTenantsToken) {
  std::ifstream in(std::string(XKS_SOURCE_DIR) + "/config/example.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json doc = nlohmann::json::parse(in);
  auto audit = config::ParseAuditConfig(doc.at("audit"), "audit");
  ASSERT_TRUE(audit.ok()) << (audit.ok() ? "" : audit.error().front().ToString());
  ASSERT_EQ(audit->signer.type, config::SignerConfig::Type::kPkcs11);
  const std::string token = audit->signer.token;
  bool declared = false;
  for (const auto& t : doc.at("hsm").at("tokens")) declared |= t.at("id") == token;
  EXPECT_TRUE(declared) << token << " is not in hsm.tokens";
  for (const auto& tenant : doc.at("tenants")) EXPECT_NE(tenant.at("token"), token);
}

// A temporary directory standing in for the root of the machine a profile is written for.
class ProfileRoot {
 public:
  ProfileRoot() {
    std::string pattern = (fs::temp_directory_path() / "xks-profile-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ProfileRoot() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  ProfileRoot(const ProfileRoot&) = delete;
  ProfileRoot& operator=(const ProfileRoot&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A valid SigV4 secret (43..64 characters) doubles as the PIN; neither is real.
constexpr char kProfileSecret[] = "profileTestSecretAccessKey0123456789abcdefgh";

// Creates `file` (and its directories); secrets 0600 as the configuration checks require.
void CreateProfileFile(const fs::path& file, bool secret) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << (secret ? kProfileSecret : "placeholder\n");
  fs::permissions(file, secret ? fs::perms::owner_read | fs::perms::owner_write
                               : fs::perms::owner_read | fs::perms::owner_write |
                                     fs::perms::group_read | fs::perms::others_read);
}

// Moves every file and directory the document names below `root` and creates it there, so the
// profile parses as it would on the machine it describes. Which values are paths is known by key.
void MaterialiseProfilePaths(nlohmann::json& node, const fs::path& root) {
  static const std::set<std::string> kPlainFiles = {"certificate_chain_file", "client_ca_file"};
  static const std::set<std::string> kSecretFiles = {"private_key_file", "file"};
  if (node.is_array()) {
    for (auto& item : node) MaterialiseProfilePaths(item, root);
    return;
  }
  if (!node.is_object()) return;
  for (auto& [key, value] : node.items()) {
    if (!value.is_string()) {
      MaterialiseProfilePaths(value, root);
      continue;
    }
    const std::string text = value.get<std::string>();
    const bool module_file = key == "module" && text.find('/') != std::string::npos;
    if (key == "directory" || module_file || kPlainFiles.contains(key) ||
        kSecretFiles.contains(key)) {
      const fs::path moved = root / fs::path(text).relative_path();
      if (key == "directory") {
        fs::create_directories(moved);
      } else {
        CreateProfileFile(moved, kSecretFiles.contains(key));
      }
      value = moved.string();
    }
    if (key == "env") ::setenv(text.c_str(), kProfileSecret, 1);
  }
}

// Every profile is a complete configuration: with the files it names in place ParseConfig finds
// no problem at all, and docs/vendor-profiles.md explains it.
TEST(VendorProfileConfigTest, EveryProfileParsesWithoutProblemsAndIsDocumented) {
  std::ifstream doc_in(std::string(XKS_SOURCE_DIR) + "/docs/vendor-profiles.md");
  ASSERT_TRUE(doc_in.good());
  const std::string docs((std::istreambuf_iterator<char>(doc_in)), {});
  std::size_t profiles = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(XKS_SOURCE_DIR) / "config/profiles")) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    ++profiles;
    std::ifstream in(entry.path());
    nlohmann::json document = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(document.is_discarded()) << "not JSON";
    ProfileRoot root;
    ASSERT_FALSE(root.path().empty());
    MaterialiseProfilePaths(document, root.path());
    auto parsed = config::ParseConfig(document, root.path().string());
    ASSERT_TRUE(parsed.ok()) << (parsed.ok() ? "" : FormatProblems(parsed.error()));
    EXPECT_FALSE(parsed->hsm.modules.empty());
    EXPECT_NE(docs.find("config/profiles/" + name), std::string::npos)
        << "docs/vendor-profiles.md does not explain it";
  }
  EXPECT_GE(profiles, 4u);
}

}  // namespace
}  // namespace xks::runtime
