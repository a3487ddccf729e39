#pragma once
// A fixture for tests of the PKCS#11 layer on the fault-injecting module: a SoftHSM sandbox with
// the tokens "alpha" and "beta", a FaultControl exported to this process, the fault module loaded
// through pkcs11::OpenModule (exactly like a vendor module), and a client on "alpha" with key "k".

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "pkcs11/hsm.h"
#include "pkcs11/testing.h"
#include "tests/support/fault_control.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::FaultControl;
using ::xks::testing::FaultFunction;
using ::xks::testing::Trigger;

inline unsigned long Rv(std::string_view name) { return CkRvByNameForTesting(name); }

class FaultModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = testing::SoftHsmSandbox::Create({"alpha", "beta"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    faults_ = FaultControl::Create();
    faults_->ExportEnvironment();
    auto module = OpenModule(faults_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = module.value();
    alpha_ = OpenClient("alpha");
    ASSERT_NE(alpha_, nullptr);
  }

  void TearDown() override {
    if (faults_) faults_->Clear();  // no call stays hung while the clients go away
    alpha_.reset();
    beta_.reset();
    module_.reset();
    faults_.reset();
    sandbox_.reset();
  }

  // A client on `label` (max_sessions pooled sessions) with an AES key "k"; nullptr on failure.
  std::unique_ptr<TokenClient> OpenClient(const std::string& label, std::size_t max_sessions = 2) {
    return OpenClient(sandbox_->token_config(label, max_sessions));
  }
  std::unique_ptr<TokenClient> OpenClient(const TokenConfig& config) {
    auto client = TokenClient::Open(module_, config);
    EXPECT_TRUE(client.ok()) << client.error().ToLogString();
    if (!client.ok()) return nullptr;
    AesKeySpec spec;
    spec.label = "k";
    auto key = client.value()->CreateAesKey(spec, FarDeadline());
    EXPECT_TRUE(key.ok()) << key.error().ToLogString();
    return std::move(client).value();
  }

  // Encrypts and decrypts once; returns the first error, or nothing.
  static HsmResult<void> RoundTrip(TokenClient& client) {
    auto sealed = client.Encrypt("k", Bytes("fault module"), {}, FarDeadline());
    if (!sealed.ok()) return Fail(std::move(sealed).error());
    auto opened =
        client.Decrypt("k", sealed->iv, sealed->ciphertext, sealed->tag, {}, FarDeadline());
    if (!opened.ok()) return Fail(std::move(opened).error());
    EXPECT_EQ(opened->view(), "fault module");
    return {};
  }

  std::unique_ptr<testing::SoftHsmSandbox> sandbox_;
  std::unique_ptr<FaultControl> faults_;
  std::shared_ptr<Module> module_;
  std::unique_ptr<TokenClient> alpha_, beta_;
};

}  // namespace xks::pkcs11
