// Known-answer tests of AES-256-GCM through the PKCS#11 layer on SoftHSMv2: the XKS-relevant
// subsets of Wycheproof aes_gcm_test.json and NIST CAVP gcmEncryptExtIV256 / gcmDecrypt256
// (see /work/shared/reference/aes-gcm/README.md). Each vector's key is imported, used, destroyed.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pkcs11/hsm.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::FarDeadline;
using ::xks::testing::FromHex;
using ::xks::testing::SoftHsmSandbox;

struct Vector {
  std::string name;
  std::vector<std::uint8_t> key, iv, aad, plaintext, ciphertext, tag;
  bool valid = true;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Vector> WycheproofVectors(int iv_bits) {
  const auto json = nlohmann::json::parse(
      ReadFile(std::string(XKS_REFERENCE_DIR) + "/aes-gcm/wycheproof/aes_gcm_test.json"));
  std::vector<Vector> out;
  for (const auto& group : json.at("testGroups")) {
    if (group.at("keySize") != 256 || group.at("tagSize") != 128 || group.at("ivSize") != iv_bits) {
      continue;
    }
    for (const auto& t : group.at("tests")) {
      Vector v;
      v.name = "wycheproof tcId " + std::to_string(t.at("tcId").get<int>());
      v.key = FromHex(t.at("key").get<std::string>());
      v.iv = FromHex(t.at("iv").get<std::string>());
      v.aad = FromHex(t.at("aad").get<std::string>());
      v.plaintext = FromHex(t.at("msg").get<std::string>());
      v.ciphertext = FromHex(t.at("ct").get<std::string>());
      v.tag = FromHex(t.at("tag").get<std::string>());
      v.valid = t.at("result") == "valid";
      out.push_back(std::move(v));
    }
  }
  return out;
}

// NIST .rsp: "[IVlen = 96]" style headers, then "Name = hex" records; "FAIL" marks a record whose
// tag must not verify. Only IVlen 96 / Taglen 128 records are returned.
std::vector<Vector> NistVectors(const std::string& file) {
  std::istringstream in(ReadFile(std::string(XKS_REFERENCE_DIR) + "/aes-gcm/nist-cavp/" + file));
  std::vector<Vector> out;
  std::map<std::string, std::string> header;
  Vector current;
  bool in_record = false;
  auto flush = [&] {
    if (in_record && header["IVlen"] == "96" && header["Taglen"] == "128") out.push_back(current);
    current = Vector{};
    in_record = false;
  };
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      flush();
      const auto eq = line.find(" = ");
      if (eq != std::string::npos) {
        header[line.substr(1, eq - 1)] = line.substr(eq + 3, line.size() - eq - 4);
      }
      continue;
    }
    if (line == "FAIL") {
      current.valid = false;
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const std::string name = line.substr(0, eq), value = line.substr(eq + 3);
    if (name == "Count") {
      flush();
      in_record = true;
      current.name = file + " [IVlen=" + header["IVlen"] + " PTlen=" + header["PTlen"] +
                     " AADlen=" + header["AADlen"] + "] Count " + value;
    } else if (name == "Key") {
      current.key = FromHex(value);
    } else if (name == "IV") {
      current.iv = FromHex(value);
    } else if (name == "PT") {
      current.plaintext = FromHex(value);
    } else if (name == "AAD") {
      current.aad = FromHex(value);
    } else if (name == "CT") {
      current.ciphertext = FromHex(value);
    } else if (name == "Tag") {
      current.tag = FromHex(value);
    }
  }
  flush();
  return out;
}

class SoftHsmKnownAnswerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    sandbox_ = SoftHsmSandbox::Create({"kat"}, &error).release();
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    auto client = TokenClient::Open(module.value(), sandbox_->token_config("kat"));
    ASSERT_TRUE(client.ok()) << client.error().ToLogString();
    client_ = std::move(client).value().release();
  }
  static void TearDownTestSuite() {
    delete client_;  // releases the last reference to the module
    delete sandbox_;
  }

  // Imports the key, checks encryption (valid vectors) and decryption, destroys the key.
  // Returns the number of checks run.
  static int Check(const Vector& v, bool check_encrypt) {
    SCOPED_TRACE(v.name);
    AesKeySpec spec;
    spec.label = "kat-key";
    auto imported = client_->ImportAesKeyForTesting(spec, SecretBytes(v.key), FarDeadline());
    EXPECT_TRUE(imported.ok()) << imported.error().ToLogString();
    if (!imported.ok()) return 0;
    int checks = 0;
    if (v.valid && check_encrypt) {
      auto sealed = client_->EncryptWithExplicitIvForTesting("kat-key", v.iv, v.plaintext, v.aad,
                                                             FarDeadline());
      EXPECT_TRUE(sealed.ok()) << sealed.error().ToLogString();
      if (sealed.ok()) {
        EXPECT_EQ(sealed->ciphertext, v.ciphertext);
        EXPECT_EQ(std::vector<std::uint8_t>(sealed->tag.begin(), sealed->tag.end()), v.tag);
        ++checks;
      }
    }
    auto opened = client_->Decrypt("kat-key", v.iv, v.ciphertext, v.tag, v.aad, FarDeadline());
    if (v.valid) {
      EXPECT_TRUE(opened.ok()) << opened.error().ToLogString();
      if (opened.ok()) {
        EXPECT_EQ(std::vector<std::uint8_t>(opened->span().begin(), opened->span().end()),
                  v.plaintext);
      }
    } else {
      EXPECT_FALSE(opened.ok());
      if (!opened.ok()) {
        EXPECT_EQ(opened.error().kind, HsmErrorKind::kBadCiphertext);
      }
    }
    ++checks;
    auto destroyed = client_->DestroyKey("kat-key", FarDeadline());
    EXPECT_TRUE(destroyed.ok()) << destroyed.error().ToLogString();
    return checks;
  }

  static SoftHsmSandbox* sandbox_;
  static TokenClient* client_;
};
SoftHsmSandbox* SoftHsmKnownAnswerTest::sandbox_ = nullptr;
TokenClient* SoftHsmKnownAnswerTest::client_ = nullptr;

TEST_F(SoftHsmKnownAnswerTest, Wycheproof96BitIv) {
  const auto vectors = WycheproofVectors(96);
  ASSERT_EQ(vectors.size(), 66u);  // 39 valid, 27 invalid (README)
  int valid = 0;
  for (const Vector& v : vectors) {
    Check(v, true);
    valid += v.valid ? 1 : 0;
  }
  EXPECT_EQ(valid, 39);
}

TEST_F(SoftHsmKnownAnswerTest, Wycheproof128BitIv) {
  const auto vectors = WycheproofVectors(128);
  ASSERT_EQ(vectors.size(), 19u);
  for (const Vector& v : vectors) Check(v, true);
}

TEST_F(SoftHsmKnownAnswerTest, NistEncryptExtIv) {
  const auto vectors = NistVectors("gcmEncryptExtIV256.rsp");
  ASSERT_EQ(vectors.size(), 375u);
  for (const Vector& v : vectors) {
    ASSERT_TRUE(v.valid);
    Check(v, true);
  }
}

TEST_F(SoftHsmKnownAnswerTest, NistDecrypt) {
  const auto vectors = NistVectors("gcmDecrypt256.rsp");
  ASSERT_EQ(vectors.size(), 375u);
  int failing = 0;
  for (const Vector& v : vectors) {
    Check(v, false);
    failing += v.valid ? 0 : 1;
  }
  EXPECT_EQ(failing, 191);
}

}  // namespace
}  // namespace xks::pkcs11
