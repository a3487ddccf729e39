// The proxy's HSM adapter loads the fault-injecting PKCS#11 module (tests/fault_pkcs11) by path,
// exactly like a vendor module in hsm.modules[], and the faults a test posts reach its requests.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

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

// A SoftHSM token "tok" with the keys "health" and "k1", its module finalized again (the backend
// initializes SoftHSM anew, through the fault module). Null (with a test failure) on error.
std::unique_ptr<testing::SoftHsmSandbox> SandboxWithKeys() {
  std::string error;
  auto sandbox = testing::SoftHsmSandbox::Create({"tok"}, &error);
  if (sandbox == nullptr) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  auto module = pkcs11::OpenModule(sandbox->module_config());
  if (!module.ok()) {
    ADD_FAILURE() << module.error().ToLogString();
    return nullptr;
  }
  auto client = pkcs11::TokenClient::Open(module.value(), sandbox->token_config("tok"));
  if (!client.ok()) {
    ADD_FAILURE() << client.error().ToLogString();
    return nullptr;
  }
  for (const char* label : {"health", "k1"}) {
    pkcs11::AesKeySpec spec;
    spec.label = label;
    if (!client.value()->CreateAesKey(spec, FarDeadline()).ok()) {
      ADD_FAILURE() << "cannot create " << label;
      return nullptr;
    }
  }
  return sandbox;
}

TEST(HsmKeyBackendFaultTest, LoadsTheFaultModuleLikeAVendorModuleAndMeetsItsFaults) {
  auto sandbox = SandboxWithKeys();
  ASSERT_NE(sandbox, nullptr);
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

// A backend on the fault module with token "tok" of `max_sessions` and `queue_limit`, the key
// "k1" already used once (its handle cached, so later hung calls are the encrypts only).
class HsmKeyBackendScheduleTest : public ::testing::Test {
 protected:
  void Open(std::size_t max_sessions, std::size_t queue_limit = 256) {
    sandbox_ = SandboxWithKeys();
    ASSERT_NE(sandbox_, nullptr);
    faults_ = FaultControl::Create();
    faults_->ExportEnvironment();
    config::HsmConfig hsm = FaultModuleHsmConfig(*sandbox_);
    hsm.tokens[0].max_sessions = max_sessions;
    hsm.tokens[0].queue_limit = queue_limit;
    backend_ = std::make_shared<HsmKeyBackend>();
    auto applied = backend_->ApplyConfig(hsm);
    ASSERT_TRUE(applied.ok()) << (applied.ok() ? "" : FormatProblems(applied.error()));
    ASSERT_TRUE(backend_->Encrypt(key_, Bytes("p"), Bytes("aad"), FarDeadline()).ok());
  }
  void TearDown() override {
    if (faults_) faults_->Release();
    if (backend_) {
      EXPECT_TRUE(
          backend_->StopExecutors(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
    }
    backend_.reset();  // finalizes the module before the sandbox and the control file go
  }

  const api::KeyLocation key_{"tok", "k1"};
  std::unique_ptr<testing::SoftHsmSandbox> sandbox_;
  std::unique_ptr<FaultControl> faults_;
  std::shared_ptr<HsmKeyBackend> backend_;
};

// What the scheduled work saw. Shared with the work (which may outlive a failed test body).
struct WorkLog {
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::vector<ErrorName> refusals;
  std::atomic<int> succeeded{0};
  std::atomic<std::int64_t> deadline_ns{0};  // of the call that is to be stuck
};

TEST_F(HsmKeyBackendScheduleTest, RequestWorkRunsOnTheTokensOwnThreadsAtMostMaxSessionsAtOnce) {
  Open(3, 2);
  faults_->Hang(FaultFunction::C_Encrypt);
  auto seen = std::make_shared<WorkLog>();
  auto work = [seen, backend = backend_, key = key_](ProxyResult<void> admitted) {
    if (!admitted.ok()) {
      std::lock_guard lock(seen->mu);
      seen->refusals.push_back(admitted.error().name);
      return;
    }
    {
      std::lock_guard lock(seen->mu);
      seen->threads.insert(std::this_thread::get_id());
    }
    if (backend->Encrypt(key, Bytes("p"), Bytes("aad"), FarDeadline()).ok()) ++seen->succeeded;
  };
  for (int i = 0; i < 5; ++i) backend_->Schedule("tok", FarDeadline(), work);
  // Three calls reach the HSM at once (one per session), two wait in the queue...
  ASSERT_TRUE(faults_->WaitForHungCalls(3, std::chrono::seconds(30)));
  {
    std::lock_guard lock(seen->mu);
    EXPECT_EQ(seen->threads.size(), 3u);
    EXPECT_FALSE(seen->threads.contains(std::this_thread::get_id())) << "HSM work on the caller";
    EXPECT_TRUE(seen->refusals.empty());
  }
  // ...and the sixth finds the queue full: answered at once, on this thread.
  backend_->Schedule("tok", FarDeadline(), work);
  {
    std::lock_guard lock(seen->mu);
    EXPECT_EQ(seen->refusals, std::vector<ErrorName>{ErrorName::kThrottling});
  }
  EXPECT_EQ(faults_->HungCalls(), 3u) << "a fourth call reached the HSM past max_sessions";

  faults_->Release();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (seen->succeeded.load() < 5 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(seen->succeeded.load(), 5) << "the queued work ran once sessions were free";
}

TEST_F(HsmKeyBackendScheduleTest, NewWorkIsRefusedAtOnceWhileTheTokensCallsAreStuck) {
  Open(1);
  faults_->Hang(FaultFunction::C_Encrypt);
  auto seen = std::make_shared<WorkLog>();
  // One call that will be stuck: its deadline (taken when it starts) passes while the HSM holds it.
  backend_->Schedule(
      "tok", FarDeadline(), [seen, backend = backend_, key = key_](ProxyResult<void> admitted) {
        if (!admitted.ok()) return;
        const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        seen->deadline_ns = soon.time_since_epoch().count();
        (void)backend->Encrypt(key, Bytes("p"), Bytes("aad"), soon);
      });
  ASSERT_TRUE(faults_->WaitForHungCalls(1, std::chrono::seconds(30)));
  const std::chrono::steady_clock::time_point soon{
      std::chrono::steady_clock::duration(seen->deadline_ns.load())};
  while (std::chrono::steady_clock::now() <= soon) {
    std::this_thread::sleep_for(soon - std::chrono::steady_clock::now());
  }
  backend_->Schedule("tok", FarDeadline(), [seen](ProxyResult<void> admitted) {
    std::lock_guard lock(seen->mu);
    seen->refusals.push_back(admitted.ok() ? ErrorName::kInternal /* must not run */
                                           : admitted.error().name);
  });
  std::lock_guard lock(seen->mu);
  EXPECT_EQ(seen->refusals, std::vector<ErrorName>{ErrorName::kDependencyTimeout})
      << "refused at once: it would only have waited out its budget behind the hung call";
}

TEST(HsmKeyBackendFaultTest, WorkForAnUnknownTokenIsRefusedAtOnce) {
  HsmKeyBackend backend;
  std::vector<ErrorName> answers;
  backend.Schedule("nope", FarDeadline(), [&](ProxyResult<void> admitted) {
    answers.push_back(admitted.ok() ? ErrorName::kValidation : admitted.error().name);
  });
  EXPECT_EQ(answers, std::vector<ErrorName>{ErrorName::kInternal});
}

}  // namespace
}  // namespace xks::runtime
