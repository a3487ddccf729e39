// Bring your own key, end to end with the real binaries on NSS's software token (SoftHSMv2 2.6
// cannot unwrap with RSA-OAEP SHA-256): `xksctl key import-params` makes the wrapping key pair in
// the tenant's token, the customer wraps a known AES-256 key with `openssl pkeyutl`, `xksctl key
// import` unwraps it inside the HSM, and the running proxy's ciphertexts then open outside the HSM
// under the known key with the documented AAD and ciphertextMetadata construction
// (docs/ciphertext-metadata.md) — and the other way round.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11/hsm.h"
#include "tests/cli/subprocess.h"
#include "tests/support/nss_softoken_sandbox.h"
#include "tests/support/openssl_crypto.h"

namespace {

using nlohmann::json;
using xks::testing::ProcessResult;
using xks::testing::ReadFile;
using Bytes = std::vector<std::uint8_t>;

std::string Base64(const Bytes& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Bytes FromBase64(const std::string& text) {
  Bytes out(text.size() / 4 * 3 + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

// docs/ciphertext-metadata.md, written out independently of the proxy's code:
// the HSM's AAD is BE16 len(AAD) || AAD || u8 len(metadata) || metadata.
Bytes HsmAad(const Bytes& aad, const Bytes& metadata) {
  // push_back, not an initializer list: GCC 12 at -O3 reports a false -Warray-bounds on the
  // two-element list.
  Bytes out;
  out.reserve(2 + aad.size() + 1 + metadata.size());
  out.push_back(static_cast<std::uint8_t>(aad.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(aad.size() & 0xff));
  out.insert(out.end(), aad.begin(), aad.end());
  out.push_back(static_cast<std::uint8_t>(metadata.size()));
  out.insert(out.end(), metadata.begin(), metadata.end());
  return out;
}

Bytes RandomKey() {
  Bytes key(32);
  if (RAND_bytes(key.data(), 32) != 1) key.clear();
  return key;
}

class XksctlByokTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = xks::testing::NssSoftokenSandbox::Create(&error);
    ASSERT_NE(sandbox_, nullptr) << error;
    dir_ = sandbox_->dir();
    config_ = dir_ + "/xks.json";
  }
  void TearDown() override {
    if (proxy_ > 0) xks::testing::StopProcess(proxy_);
    sandbox_.reset();
  }

  ProcessResult Xksctl(std::vector<std::string> args) {
    args.insert(args.begin(), {XKSCTL_BINARY, "--config", config_});
    return xks::testing::RunProcess(args, dir_);
  }
  json Config() { return json::parse(ReadFile(config_)); }

  // config init + tenant add on the NSS token; remembers the tenant's credential.
  void AddTenant() {
    ProcessResult r = Xksctl({"config", "init", "--listen", "127.0.0.1:0", "--insecure", "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = Xksctl({"tenant", "add", "acme", "--prefix", "/tenants/acme", "--module",
                xks::testing::NssSoftokenSandbox::ModulePath(), "--module-parameters",
                sandbox_->initialize_parameters(), "--token-uri",
                std::string(xks::testing::NssSoftokenSandbox::kTokenUri), "--pin-file",
                sandbox_->user_pin_file(), "--json"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    access_key_id_ = r.Json()["credential"]["access_key_id"];
    secret_ = ReadFile(r.Json()["credential"]["secret_file"]);
    while (!secret_.empty() && (secret_.back() == '\n' || secret_.back() == '\r')) {
      secret_.pop_back();
    }
    ASSERT_FALSE(secret_.empty());
    const json module = Config()["hsm"]["modules"][0];
    EXPECT_EQ(module["initialize_parameters"], sandbox_->initialize_parameters());
  }

  // import-params (with `params_extra`), `openssl pkeyutl` with `digest` (sha256 or sha1) under
  // the exported public key, then `key import` (with `import_extra`); returns the import's answer.
  ProcessResult Import(const Bytes& known, const std::string& digest = "sha256",
                       const std::vector<std::string>& params_extra = {},
                       const std::vector<std::string>& import_extra = {}) {
    const std::string pem = dir_ + "/wrap.pem", raw = dir_ + "/known.bin",
                      wrapped = dir_ + "/wrapped.bin";
    std::filesystem::remove(pem);
    std::vector<std::string> params = {"key", "import-params", "acme", "byok", "--out",
                                       pem,   "--json"};
    params.insert(params.end(), params_extra.begin(), params_extra.end());
    ProcessResult r = Xksctl(params);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    if (r.code != 0) return r;
    EXPECT_EQ(r.Json()["wrapping_key_label"], "xks-acme-byok-wrap");
    EXPECT_EQ(r.Json()["public_key_pem"], ReadFile(pem));
    std::ofstream(raw, std::ios::binary)
        .write(reinterpret_cast<const char*>(known.data()),
               static_cast<std::streamsize>(known.size()));
    ProcessResult wrap = xks::testing::RunProcess(
        {"openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in", raw, "-out", wrapped,
         "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:" + digest, "-pkeyopt",
         "rsa_mgf1_md:" + digest},
        dir_);
    std::filesystem::remove(raw);
    EXPECT_EQ(wrap.code, 0) << wrap.err;
    std::vector<std::string> args = {"key",           "import", "acme",  "byok",
                                     "--wrapped-key", wrapped,  "--json"};
    args.insert(args.end(), import_extra.begin(), import_extra.end());
    return Xksctl(args);
  }

  void StartProxy() {
    // The tests run as root (CI): the proxy refuses root without a user unless told otherwise.
    json config = Config();
    config["process"] = {{"allow_root", true}};
    std::ofstream(config_, std::ios::trunc) << config.dump(2);
    const std::string port_file = dir_ + "/proxy.port";
    pid_file_ = dir_ + "/proxy.pid";
    log_file_ = dir_ + "/proxy.log";
    proxy_ = xks::testing::StartProcess(
        {XKS_PROXY_BINARY, "--config", config_, "--port-file", port_file, "--pid-file", pid_file_},
        log_file_);
    ASSERT_GT(proxy_, 0);
    for (int i = 0; i < 400 && port_.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      port_ = ReadFile(port_file);
      while (!port_.empty() && (port_.back() == '\n' || port_.back() == ' ')) port_.pop_back();
      // The pid file must be in place too before a reload can be signalled.
      if (!port_.empty() && ReadFile(pid_file_).empty()) port_.clear();
    }
    ASSERT_FALSE(port_.empty()) << ReadFile(log_file_);
  }

  // One signed XKS call through curl; the parsed answer (discarded value if not JSON).
  json Call(const std::string& operation, json body) {
    body["requestMetadata"] = {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/byok"},
                               {"kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/byok"},
                               {"kmsOperation", operation == "encrypt" ? "Encrypt" : "Decrypt"},
                               {"kmsRequestId", "byok-request"}};
    ProcessResult r = xks::testing::RunProcess(
        {"curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:kms-xks-proxy", "--user",
         access_key_id_ + ":" + secret_, "-H", "Content-Type: application/json", "--data-binary",
         body.dump(),
         "http://127.0.0.1:" + port_ + "/tenants/acme/kms/xks/v1/keys/byok/" + operation},
        dir_);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  json Encrypt() {
    return Call("encrypt", {{"plaintext", Base64(plaintext_)},
                            {"additionalAuthenticatedData", Base64(aad_)},
                            {"encryptionAlgorithm", "AES_GCM"}});
  }

  // Opens the proxy's answer outside the HSM under `known`; returns the metadata's key version
  // (-1 when it does not open).
  int OpenOutside(const json& answer, const Bytes& known) {
    EXPECT_TRUE(answer.contains("ciphertext")) << answer.dump() << ReadFile(log_file_);
    if (!answer.contains("ciphertext")) return -1;
    const Bytes metadata = FromBase64(answer["ciphertextMetadata"]);
    EXPECT_EQ(metadata.size(), 11u);
    if (metadata.size() != 11u) return -1;
    EXPECT_EQ(metadata[0], 0x01);  // format version
    const Bytes iv = FromBase64(answer["initializationVector"]);
    const Bytes ciphertext = FromBase64(answer["ciphertext"]);
    const Bytes tag = FromBase64(answer["authenticationTag"]);
    auto plain = xks::testing::AesGcmOpen(known, iv, ciphertext, tag, HsmAad(aad_, metadata));
    EXPECT_TRUE(plain.has_value()) << "the known key does not open the proxy's ciphertext";
    if (!plain) return -1;
    EXPECT_EQ(*plain, plaintext_);
    Bytes other = known;
    other[0] ^= 1;
    EXPECT_FALSE(xks::testing::AesGcmOpen(other, iv, ciphertext, tag, HsmAad(aad_, metadata)));
    return (metadata[1] << 8) | metadata[2];
  }

  // The reverse direction: a ciphertext made outside the HSM under `known` with the documented
  // construction (and `metadata` naming the key version), which the proxy must decrypt.
  json DecryptMadeOutside(const Bytes& known, const Bytes& metadata) {
    const Bytes iv = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    auto sealed = xks::testing::AesGcmSeal(known, iv, plaintext_, HsmAad(aad_, metadata));
    EXPECT_TRUE(sealed.has_value());
    if (!sealed) return {};
    return Call("decrypt",
                {{"ciphertext", Base64(sealed->ciphertext)},
                 {"ciphertextMetadata", Base64(metadata)},
                 {"initializationVector", Base64(iv)},
                 {"authenticationTag", Base64(Bytes(sealed->tag.begin(), sealed->tag.end()))},
                 {"additionalAuthenticatedData", Base64(aad_)},
                 {"encryptionAlgorithm", "AES_GCM"}});
  }

  std::unique_ptr<xks::testing::NssSoftokenSandbox> sandbox_;
  std::string dir_, config_, access_key_id_, secret_, port_, pid_file_, log_file_;
  pid_t proxy_ = -1;
  const Bytes aad_ = {'b', 'y', 'o', 'k', '-', 'a', 'a', 'd'};
  const Bytes plaintext_ = {'k', 'n', 'o', 'w', 'n', ' ', 'p', 'l', 'a', 'i', 'n'};
};

TEST_F(XksctlByokTest, ImportedKeyServesThroughTheProxyUnderTheKnownKey) {
  AddTenant();
  if (HasFatalFailure()) return;
  const Bytes known1 = RandomKey();
  ProcessResult r = Import(known1);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["label"], "xks-acme-byok-v1");
  EXPECT_EQ(r.Json()["version"], 1);
  EXPECT_TRUE(r.Json()["wrapping_key_destroyed"].get<bool>());
  const json version = Config()["tenants"][0]["keys"]["byok"]["versions"][0];
  EXPECT_EQ(version["label"], "xks-acme-byok-v1");
  EXPECT_EQ(version["_origin"], "EXTERNAL");
  {
    // In the HSM: sensitive, non-extractable AES-256; the single-use wrapping pair is gone.
    auto module = xks::pkcs11::OpenModule(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    auto token = xks::pkcs11::TokenClient::Open(module.value(), sandbox_->token_config(1));
    ASSERT_TRUE(token.ok()) << token.error().ToLogString();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto info = token.value()->DescribeKey("xks-acme-byok-v1", deadline);
    ASSERT_TRUE(info.ok()) << info.error().ToLogString();
    EXPECT_EQ(info->value_len, 32u);
    EXPECT_TRUE(info->sensitive);
    EXPECT_FALSE(info->extractable);
    EXPECT_FALSE(token.value()->ReadKeyValueForTesting("xks-acme-byok-v1", deadline).ok());
    EXPECT_FALSE(token.value()->DescribeKey("xks-acme-byok-wrap", deadline).ok());
  }  // the module is finalized here, before the proxy opens the same database

  StartProxy();
  if (HasFatalFailure()) return;
  const json first = Encrypt();
  EXPECT_EQ(OpenOutside(first, known1), 1);
  const Bytes metadata_v1 = FromBase64(first.value("ciphertextMetadata", ""));
  json decrypted = DecryptMadeOutside(known1, metadata_v1);
  EXPECT_EQ(decrypted.value("plaintext", ""), Base64(plaintext_)) << decrypted.dump();

  // A second import under the same id is a rotation to version 2, which the running proxy picks
  // up through the SIGHUP reload; version 1 still decrypts.
  const Bytes known2 = RandomKey();
  r = Import(known2, "sha256", {}, {"--pid-file", pid_file_});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["version"], 2);
  EXPECT_TRUE(r.Json()["rotation"].get<bool>());
  json answer;
  for (int i = 0; i < 100; ++i) {
    answer = Encrypt();
    const Bytes metadata = FromBase64(answer.value("ciphertextMetadata", ""));
    if (metadata.size() == 11 && metadata[2] == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(OpenOutside(answer, known2), 2);
  decrypted = DecryptMadeOutside(known1, metadata_v1);
  EXPECT_EQ(decrypted.value("plaintext", ""), Base64(plaintext_)) << decrypted.dump();
  // Version 1's metadata with version 2's key material does not verify.
  decrypted = DecryptMadeOutside(known2, metadata_v1);
  EXPECT_EQ(decrypted.value("errorName", ""), "InvalidCiphertextException") << decrypted.dump();

  EXPECT_EQ(xks::testing::StopProcess(proxy_), 0) << ReadFile(log_file_);
  proxy_ = -1;
}

TEST_F(XksctlByokTest, BadImportsAreRefusedAndChangeNothing) {
  AddTenant();
  if (HasFatalFailure()) return;
  // No import-params first: no wrapping key.
  const std::string junk = dir_ + "/junk.bin";
  std::ofstream(junk, std::ios::binary) << std::string(384, 'x');
  const std::string before = ReadFile(config_);
  ProcessResult r = Xksctl({"key", "import", "acme", "byok", "--wrapped-key", junk});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("import-params"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);

  // Wrapped with SHA-1 while SHA-256 is expected: refused, the wrapping pair stays for a retry.
  r = Import(RandomKey(), "sha1");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(ReadFile(config_), before);
  r = Xksctl({"key", "import-params", "acme", "byok"});
  EXPECT_EQ(r.code, 1) << "a second pair under the same label";
  EXPECT_NE(r.err.find("--replace"), std::string::npos) << r.err;

  // AES-128 material: unwrapped inside the HSM, found to be 16 bytes, destroyed, refused.
  r = Import(Bytes(16, 0x42), "sha256", {"--replace"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("32 bytes"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(config_), before);

  // Usage errors: exit code 2.
  EXPECT_EQ(Xksctl({"key", "import", "acme", "byok"}).code, 2);
  EXPECT_EQ(Xksctl({"key", "import", "acme", "b/ad", "--wrapped-key", junk}).code, 2);
  EXPECT_EQ(Xksctl({"key", "import", "nobody", "byok", "--wrapped-key", junk}).code, 1);
  EXPECT_EQ(
      Xksctl({"key", "import-params", "acme", "byok", "--wrapping-algorithm", "RSA_PKCS1"}).code,
      2);

  // RSAES_OAEP_SHA_1, when asked for on both sides, imports on a module that supports it.
  r = Import(RandomKey(), "sha1", {"--replace", "--wrapping-algorithm", "RSAES_OAEP_SHA_1"},
             {"--wrapping-algorithm", "RSAES_OAEP_SHA_1", "--usage", "decrypt"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["usage"], "decrypt");
  EXPECT_EQ(Config()["tenants"][0]["keys"]["byok"]["versions"][0]["label"], "xks-acme-byok-v1");
}

}  // namespace
