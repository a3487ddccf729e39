#include "proxy/audit/audit_cli.h"

#include <gtest/gtest.h>

#include <sstream>

#include "proxy/audit/audit_log.h"
#include "tests/audit/audit_test_util.h"

namespace xks::audit {
namespace {

struct Ran {
  int code;
  std::string out;
  std::string err;
};

Ran RunCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunAuditCommand(args, out, err);
  return {code, out.str(), err.str()};
}

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.Sub("signer.pem");
    Ran k = RunCli({"keygen", "--type", "p256", "-o", key_file_});
    ASSERT_EQ(k.code, 0) << k.err;
    Ran p = RunCli({"public-key", "--key-file", key_file_});
    ASSERT_EQ(p.code, 0) << p.err;
    pub_file_ = dir_.Sub("signer.pub");
    testing::WriteFile(pub_file_, p.out);  // PEM plus '#' comment lines
    auto signer = FileCheckpointSigner::Load(key_file_);
    ASSERT_TRUE(signer.ok());
    auto log = AuditLog::Open(testing::TestConfig(dir_.Sub("log")), std::move(signer).value());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(log.value()->Append(testing::SampleEvent(i % 2 ? "a" : "b", i)).ok());
    }
    log.value()->Close();
    files_ = testing::LogFiles(dir_.Sub("log"));
  }
  std::vector<std::string> VerifyArgs(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"verify", "--public-key", pub_file_};
    a.insert(a.end(), extra.begin(), extra.end());
    a.insert(a.end(), files_.begin(), files_.end());
    return a;
  }

  testing::TempDir dir_;
  std::string key_file_, pub_file_;
  std::vector<std::string> files_;
};

TEST_F(AuditCliTest, VerifyOkTextAndJson) {
  Ran r = RunCli(VerifyArgs());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK:"), std::string::npos);
  Ran j = RunCli(VerifyArgs({"--json"}));
  EXPECT_EQ(j.code, 0);
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_TRUE(parsed["ok"].get<bool>());
  EXPECT_EQ(parsed["records"], 8);  // 6 requests, the file-start and the tenant-heads
}

TEST_F(AuditCliTest, VerifyFailureExitsOneAndNamesTheLine) {
  auto lines = testing::ReadLines(files_[0]);
  lines.erase(lines.begin() + 3);
  testing::WriteLines(files_[0], lines);
  Ran r = RunCli(VerifyArgs());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("deleted seq 4 at " + files_[0] + ":4"), std::string::npos) << r.out;
}

TEST_F(AuditCliTest, UnsignedTailFailsUnlessAllowed) {
  auto lines = testing::ReadLines(files_[0]);
  lines.pop_back();  // the shutdown checkpoint
  testing::WriteLines(files_[0], lines);
  EXPECT_EQ(RunCli(VerifyArgs()).code, 1);
  EXPECT_EQ(RunCli(VerifyArgs({"--allow-unsigned-tail"})).code, 0);
}

TEST_F(AuditCliTest, UsageAndIoErrorsExitTwo) {
  EXPECT_EQ(RunCli({}).code, 2);
  EXPECT_EQ(RunCli({"frobnicate"}).code, 2);
  EXPECT_EQ(RunCli({"verify", "--public-key", pub_file_}).code, 2);  // no files
  EXPECT_EQ(RunCli({"verify", files_[0]}).code, 2);                  // no key
  EXPECT_EQ(RunCli({"verify", "--public-key", dir_.Sub("nope"), files_[0]}).code, 2);
  EXPECT_EQ(RunCli({"verify", "--bogus", "--public-key", pub_file_, files_[0]}).code, 2);
  EXPECT_EQ(RunCli({"verify", "--public-key", pub_file_, dir_.Sub("missing.jsonl")}).code, 2);
  EXPECT_EQ(RunCli({"keygen", "--type", "rsa", "-o", dir_.Sub("x")}).code, 2);
  EXPECT_EQ(RunCli({"keygen", "--type", "p256", "-o", key_file_}).code, 2);  // exists
  EXPECT_EQ(RunCli({"public-key"}).code, 2);
  EXPECT_EQ(RunCli({"export", "--tenant", "a"}).code, 2);
}

TEST_F(AuditCliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"verify", "public-key", "export", "keygen"}) {
    Ran r = RunCli({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("usage: "), std::string::npos) << cmd;
  }
  EXPECT_EQ(RunCli({"help"}).code, 0);
}

TEST_F(AuditCliTest, PublicKeyJsonAndKeygenEd25519) {
  Ran p = RunCli({"public-key", "--key-file", key_file_, "--json"});
  ASSERT_EQ(p.code, 0);
  auto j = nlohmann::json::parse(p.out);
  EXPECT_EQ(j["algorithm"], "ecdsa-p256-sha256");
  EXPECT_EQ(j["keyId"].get<std::string>().size(), 32u);
  Ran k = RunCli({"keygen", "--type", "ed25519", "-o", dir_.Sub("ed.pem"), "--json"});
  ASSERT_EQ(k.code, 0) << k.err;
  EXPECT_EQ(nlohmann::json::parse(k.out)["algorithm"], "ed25519");
}

TEST_F(AuditCliTest, ExportThenVerifyTheExport) {
  const std::string out = dir_.Sub("a.jsonl");
  std::vector<std::string> args = {"export", "--tenant", "a", "-o", out, "--json"};
  args.insert(args.end(), files_.begin(), files_.end());
  Ran e = RunCli(args);
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(nlohmann::json::parse(e.out)["tenantRecords"], 3);
  Ran v = RunCli({"verify", "--public-key", pub_file_, out});
  EXPECT_EQ(v.code, 0) << v.out;
}

}  // namespace
}  // namespace xks::audit
