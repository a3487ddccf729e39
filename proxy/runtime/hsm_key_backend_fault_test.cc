// The proxy's HSM adapter loads the fault-injecting PKCS#11 module (tests/fault_pkcs11) by path,
// exactly like a vendor module in hsm.modules[], and the faults a test posts reach its requests.

#include <gtest/gtest.h>

#include "proxy/runtime/hsm_key_backend.h"
#include "tests/support/fault_control.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::runtime {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::FaultControl;
using ::xks::testing::FaultFunction;

config::HsmConfig FaultModuleHsmConfig(const testing::SoftHsmSandbox& sandbox) {
  config::HsmConfig hsm;
  config::ModuleConfig module;
  module.id = "faulty";
  module.module = FaultControl::ModulePath();
  hsm.modules.push_back(module);
  config::TokenConfig token;
  token.id = "tok";
  token.module_id = "faulty";
  token.token = "tok";
  token.pin.kind = config::SecretRef::Kind::kFile;
  token.pin.where = sandbox.token("tok").user_pin_file;
  token.health_check_key = "health";
  hsm.tokens.push_back(token);
  return hsm;
}

TEST(HsmKeyBackendFaultTest, LoadsTheFaultModuleLikeAVendorModuleAndMeetsItsFaults) {
  std::string error;
  auto sandbox = testing::SoftHsmSandbox::Create({"tok"}, &error);
  ASSERT_NE(sandbox, nullptr) << error;
  {
    auto module = pkcs11::OpenModule(sandbox->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    auto client = pkcs11::TokenClient::Open(module.value(), sandbox->token_config("tok"));
    ASSERT_TRUE(client.ok()) << client.error().ToLogString();
    for (const char* label : {"health", "k1"}) {
      pkcs11::AesKeySpec spec;
      spec.label = label;
      ASSERT_TRUE(client.value()->CreateAesKey(spec, FarDeadline()).ok());
    }
  }  // finalized: the backend initializes SoftHSM again, through the fault module
  auto faults = FaultControl::Create();
  faults->ExportEnvironment();  // what an e2e test passes to the xks-proxy process instead

  auto backend = std::make_shared<HsmKeyBackend>();
  auto applied = backend->ApplyConfig(FaultModuleHsmConfig(*sandbox));
  ASSERT_TRUE(applied.ok()) << (applied.ok() ? "" : FormatProblems(applied.error()));
  const api::KeyLocation key{"tok", "k1"};
  ASSERT_TRUE(backend->Encrypt(key, Bytes("p"), Bytes("aad"), FarDeadline()).ok());
  EXPECT_TRUE(backend->CheckTokenHealth("tok", FarDeadline()).ok());
  EXPECT_GE(faults->Calls(FaultFunction::C_Encrypt), 1u);

  constexpr unsigned long kCkrFunctionFailed = 0x6;
  faults->Fail(FaultFunction::C_Encrypt, kCkrFunctionFailed);
  auto failed = backend->Encrypt(key, Bytes("p"), Bytes("aad"), FarDeadline());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().name, ErrorName::kInternal);
  EXPECT_NE(failed.error().log_detail.find("CKR_FUNCTION_FAILED"), std::string::npos)
      << failed.error().log_detail;
  faults->Clear();
  EXPECT_TRUE(backend->Encrypt(key, Bytes("p"), Bytes("aad"), FarDeadline()).ok());
  backend.reset();  // finalizes the module before the sandbox and the control file go
}

}  // namespace
}  // namespace xks::runtime
