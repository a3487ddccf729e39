// The proxy's HSM adapter on NSS's software token, a module configured through C_Initialize's
// pReserved string: tokens open and serve with hsm.modules[].initialize_parameters, and a reload
// that changes the parameters of a loaded module is refused (it needs a restart) while the open
// token keeps serving.

#include <gtest/gtest.h>

#include "proxy/runtime/hsm_key_backend.h"
#include "tests/support/nss_softoken_sandbox.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::runtime {
namespace {

using ::xks::testing::Bytes;
using ::xks::testing::FarDeadline;
using ::xks::testing::NssSoftokenSandbox;

config::HsmConfig NssHsmConfig(const NssSoftokenSandbox& sandbox, const std::string& parameters) {
  config::HsmConfig hsm;
  config::ModuleConfig module;
  module.id = "nss";
  module.module = NssSoftokenSandbox::ModulePath();
  module.initialize_parameters = parameters;
  hsm.modules.push_back(module);
  config::TokenConfig token;
  token.id = "tok";
  token.module_id = "nss";
  token.token = std::string(NssSoftokenSandbox::kTokenUri);
  token.pin.kind = config::SecretRef::Kind::kFile;
  token.pin.where = sandbox.user_pin_file();
  token.health_check_key = "health";
  hsm.tokens.push_back(token);
  return hsm;
}

TEST(HsmKeyBackendNssTest, ServesWithInitializeParametersAndRefusesToChangeThemOnReload) {
  std::string error;
  auto sandbox = NssSoftokenSandbox::Create(&error);
  ASSERT_NE(sandbox, nullptr) << error;
  {
    // The keys, made through the PKCS#11 layer as xksctl would.
    auto module = pkcs11::OpenModule(sandbox->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    auto client = pkcs11::TokenClient::Open(module.value(), sandbox->token_config(1));
    ASSERT_TRUE(client.ok()) << client.error().ToLogString();
    for (const char* label : {"health", "k1"}) {
      pkcs11::AesKeySpec spec;
      spec.label = label;
      ASSERT_TRUE(client.value()->CreateAesKey(spec, FarDeadline()).ok());
    }
  }  // finalized: the backend initializes the module itself, with the configured parameters

  auto backend = std::make_shared<HsmKeyBackend>();
  auto applied = backend->ApplyConfig(NssHsmConfig(*sandbox, sandbox->initialize_parameters()));
  ASSERT_TRUE(applied.ok()) << (applied.ok() ? "" : FormatProblems(applied.error()));
  const api::KeyLocation key{"tok", "k1"};
  auto attributes = backend->Describe(key, FarDeadline());
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(attributes->key_type, "AES");
  EXPECT_EQ(attributes->bits, 256u);
  const auto aad = Bytes("aad"), plain = Bytes("served by NSS softokn");
  auto sealed = backend->Encrypt(key, plain, aad, FarDeadline());
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(backend->CheckTokenHealth("tok", FarDeadline()).ok());
  EXPECT_NE(backend->TokenModel("tok").find("NSS"), std::string::npos)
      << backend->TokenModel("tok");

  auto changed = backend->ApplyConfig(NssHsmConfig(*sandbox, "configdir='sql:/elsewhere'"));
  ASSERT_FALSE(changed.ok());
  ASSERT_EQ(changed.error().size(), 1u);
  EXPECT_EQ(changed.error()[0].path, "hsm.modules[0].initialize_parameters");
  EXPECT_NE(changed.error()[0].fix.find("restart"), std::string::npos)
      << changed.error()[0].ToString();
  auto opened =
      backend->Decrypt(key, sealed->iv, sealed->ciphertext, sealed->tag, aad, FarDeadline());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(opened->data(), opened->data() + opened->size()), plain);
  backend.reset();  // finalizes the module before the sandbox removes its database
}

}  // namespace
}  // namespace xks::runtime
