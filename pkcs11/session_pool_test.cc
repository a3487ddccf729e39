// SessionPool on SoftHSMv2: the bound, the deadline (kTimeout), broken sessions, stale generations,
// and a waiter woken by a release. No timing assumptions: deadlines are either already past or far.

#include "pkcs11/session_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pkcs11/token.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::FarDeadline;
using ::xks::testing::SoftHsmSandbox;

class SessionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    sandbox_ = SoftHsmSandbox::Create({"pool"}, &error);
    ASSERT_NE(sandbox_, nullptr) << error;
    auto module = Module::Load(sandbox_->module_config());
    ASSERT_TRUE(module.ok()) << module.error().ToLogString();
    module_ = module.value();
    TokenSelector selector;
    selector.label = "pool";
    auto slot = FindToken(*module_, selector);
    ASSERT_TRUE(slot.ok());
    slot_ = slot->slot_id;
    pin_ = SecretBytes(sandbox_->token("pool").user_pin);
  }
  void TearDown() override {
    module_.reset();
    sandbox_.reset();
  }
  std::unique_ptr<SessionPool> MakePool(std::size_t max) {
    return std::make_unique<SessionPool>(module_, max, [this] {
      opened_.fetch_add(1);
      return OpenLoggedInSession(*module_, slot_, pin_);
    });
  }
  static Deadline Past() { return std::chrono::steady_clock::now() - std::chrono::seconds(1); }

  std::unique_ptr<SoftHsmSandbox> sandbox_;
  std::shared_ptr<Module> module_;
  unsigned long slot_ = 0;
  SecretBytes pin_;
  std::atomic<int> opened_{0};
};

TEST_F(SessionPoolTest, ReusesIdleSessionsAndRespectsTheBound) {
  auto pool = MakePool(2);
  CK_SESSION_HANDLE first;
  {
    auto a = pool->Acquire(FarDeadline());
    ASSERT_TRUE(a.ok());
    first = a->handle();
  }
  {
    auto again = pool->Acquire(Past());  // an idle session is there: no wait needed
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->handle(), first);
    auto b = pool->Acquire(Past());  // below the bound: opens a second one
    ASSERT_TRUE(b.ok());
    EXPECT_NE(b->handle(), first);
    EXPECT_EQ(pool->open_sessions(), 2u);
    auto c = pool->Acquire(Past());  // at the bound, deadline passed
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, HsmErrorKind::kTimeout);
  }
  EXPECT_EQ(opened_.load(), 2);
  EXPECT_EQ(pool->open_sessions(), 2u);
}

TEST_F(SessionPoolTest, LoggedInSessions) {
  auto pool = MakePool(1);
  auto lease = pool->Acquire(FarDeadline());
  ASSERT_TRUE(lease.ok());
  CK_SESSION_INFO info{};
  ASSERT_TRUE(XKS_CK(*module_, C_GetSessionInfo, lease->handle(), &info).ok());
  EXPECT_EQ(info.state, static_cast<CK_STATE>(CKS_RW_USER_FUNCTIONS));
}

TEST_F(SessionPoolTest, BrokenSessionIsClosedAndReplaced) {
  auto pool = MakePool(1);
  CK_SESSION_HANDLE broken;
  {
    auto lease = pool->Acquire(FarDeadline());
    ASSERT_TRUE(lease.ok());
    broken = lease->handle();
    lease->MarkBroken();
  }
  EXPECT_EQ(pool->open_sessions(), 0u);
  CK_SESSION_INFO info{};
  EXPECT_FALSE(XKS_CK(*module_, C_GetSessionInfo, broken, &info).ok());  // really closed
  auto next = pool->Acquire(Past());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(opened_.load(), 2);
}

TEST_F(SessionPoolTest, StaleGenerationIsDroppedNotReused) {
  auto pool = MakePool(1);
  {
    auto lease = pool->Acquire(FarDeadline());
    ASSERT_TRUE(lease.ok());
  }
  ASSERT_TRUE(module_->Reinitialize(module_->generation()).ok());
  auto fresh = pool->Acquire(Past());
  ASSERT_TRUE(fresh.ok()) << fresh.error().ToLogString();
  EXPECT_EQ(fresh->generation(), module_->generation());
  EXPECT_EQ(opened_.load(), 2);
  EXPECT_EQ(pool->open_sessions(), 1u);
}

TEST_F(SessionPoolTest, WaiterGetsTheReleasedSession) {
  auto pool = MakePool(1);
  auto held = pool->Acquire(FarDeadline());
  ASSERT_TRUE(held.ok());
  const CK_SESSION_HANDLE handle = held->handle();
  std::atomic<bool> got{false};
  CK_SESSION_HANDLE waited_for = CK_INVALID_HANDLE;
  std::thread waiter([&] {
    auto lease = pool->Acquire(FarDeadline());
    if (lease.ok()) waited_for = lease->handle();
    got.store(lease.ok());
  });
  held->Release();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(waited_for, handle);
  EXPECT_EQ(opened_.load(), 1);
}

TEST_F(SessionPoolTest, OpenerFailureFreesTheSlot) {
  auto pool = std::make_unique<SessionPool>(module_, 1, [] {
    return HsmResult<PooledSession>(Fail(MakeHsmError(HsmErrorKind::kUnavailable, "down")));
  });
  for (int i = 0; i < 3; ++i) {
    auto r = pool->Acquire(Past());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, HsmErrorKind::kUnavailable);  // not kTimeout: the slot was freed
  }
  EXPECT_EQ(pool->open_sessions(), 0u);
}

// The HSM's session cap met while one of ours is leased: the next caller is told kBusy at once
// (with the CK_RV, for the log), without waiting for our lease, and once the HSM has a session
// again the pool opens one without any reset.
TEST_F(SessionPoolTest, SessionCountFromTheHsmIsBusyAtOnceAndTheNextAcquireOpensAgain) {
  std::atomic<bool> hsm_full{false};
  auto pool = std::make_unique<SessionPool>(module_, 3, [&]() -> HsmResult<PooledSession> {
    if (hsm_full.load()) {
      return Fail(HsmError{KindForCkRv(CKR_SESSION_COUNT), "no session", CKR_SESSION_COUNT,
                           "C_OpenSession"});
    }
    return OpenLoggedInSession(*module_, slot_, pin_);
  });
  auto held = pool->Acquire(FarDeadline());
  ASSERT_TRUE(held.ok());
  hsm_full = true;
  auto refused = pool->Acquire(FarDeadline());  // a far deadline: it must not be waited out
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, HsmErrorKind::kBusy);
  EXPECT_EQ(refused.error().ck_rv, CKR_SESSION_COUNT);
  EXPECT_EQ(pool->open_sessions(), 1u);
  hsm_full = false;
  auto second = pool->Acquire(FarDeadline());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->handle(), held->handle());
  EXPECT_EQ(pool->open_sessions(), 2u);
}

}  // namespace
}  // namespace xks::pkcs11
