// TenantQuotas (issue 15) with a hand-driven clock: the token bucket's refill and burst at exact
// boundaries, the tenant's and the server's caps, what a refusal gives back, reloads, and the
// slot's release on destruction, Release() and moves.

#include "proxy/api/tenant_quotas.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "proxy/api/testing/fakes.h"

namespace xks::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

class TenantQuotasTest : public ::testing::Test {
 protected:
  // Admits `n` requests of `tenant`, keeping their slots; returns how many were admitted.
  int AdmitMany(std::string_view tenant, const config::QuotaConfig& quota, int n,
                std::size_t server_cap = 0) {
    int admitted = 0;
    for (int i = 0; i < n; ++i) {
      auto slot = quotas_.Admit(tenant, quota, server_cap);
      if (!slot.ok()) continue;
      ++admitted;
      held_.push_back(std::move(slot).value());
    }
    return admitted;
  }
  std::string RefusalOf(std::string_view tenant, const config::QuotaConfig& quota,
                        std::size_t server_cap = 0) {
    auto slot = quotas_.Admit(tenant, quota, server_cap);
    return slot.ok() ? "admitted" : slot.error();
  }

  testing::ManualClock clock_;
  TenantQuotas quotas_{clock_.AsFunction()};
  std::vector<HsmSlot> held_;
};

TEST_F(TenantQuotasTest, AFullBucketAdmitsItsBurstAtOnceThenNothing) {
  const config::QuotaConfig quota{.requests_per_second = 500, .burst = 1000};
  EXPECT_EQ(AdmitMany("acme", quota, 1000), 1000);
  EXPECT_EQ(RefusalOf("acme", quota), "tenant acme requests_per_second 500");
}

TEST_F(TenantQuotasTest, TheNextTokenIsDueExactlyOneIntervalLater) {
  const config::QuotaConfig quota{.requests_per_second = 500, .burst = 1};
  EXPECT_EQ(AdmitMany("acme", quota, 1), 1);
  clock_.Advance(nanoseconds(1999999));  // 2 ms per token at 500/s, less 1 ns
  EXPECT_EQ(RefusalOf("acme", quota), "tenant acme requests_per_second 500");
  clock_.Advance(nanoseconds(1));
  EXPECT_EQ(RefusalOf("acme", quota), "admitted");
  EXPECT_EQ(RefusalOf("acme", quota), "tenant acme requests_per_second 500");
}

TEST_F(TenantQuotasTest, RefusedRequestsDoNotDelayTheRefill) {
  const config::QuotaConfig quota{.requests_per_second = 3, .burst = 1};  // 333333333.3 ns each
  EXPECT_EQ(AdmitMany("acme", quota, 1), 1);
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(nanoseconds(111111111));
    EXPECT_EQ(AdmitMany("acme", quota, 1), 0);
  }
  clock_.Advance(nanoseconds(1));  // 333333334 ns in all
  EXPECT_EQ(AdmitMany("acme", quota, 1), 1);
}

TEST_F(TenantQuotasTest, AQuietPeriodRefillsUpToTheBurstOnly) {
  const config::QuotaConfig quota{.requests_per_second = 10, .burst = 5};
  EXPECT_EQ(AdmitMany("acme", quota, 5), 5);
  clock_.Advance(milliseconds(300));  // 3 tokens
  EXPECT_EQ(AdmitMany("acme", quota, 10), 3);
  clock_.Advance(std::chrono::hours(24 * 365));  // no overflow, and never beyond the burst
  EXPECT_EQ(AdmitMany("acme", quota, 10), 5);
}

TEST_F(TenantQuotasTest, TheTenantCapCountsOperationsUntilTheirSlotsAreReleased) {
  const config::QuotaConfig quota{.max_concurrent_hsm = 2};
  EXPECT_EQ(AdmitMany("acme", quota, 3), 2);
  EXPECT_EQ(RefusalOf("acme", quota), "tenant acme max_concurrent_hsm 2");
  EXPECT_EQ(quotas_.InFlight("acme"), 2);
  held_[0].Release();
  held_[0].Release();  // idempotent
  EXPECT_EQ(quotas_.InFlight("acme"), 1);
  EXPECT_EQ(AdmitMany("acme", quota, 3), 1);
  held_.clear();  // destruction releases too
  EXPECT_EQ(quotas_.InFlight("acme"), 0);
  EXPECT_EQ(quotas_.ServerInFlight(), 0);
}

TEST_F(TenantQuotasTest, TheServerCapIsSharedByEveryTenant) {
  const config::QuotaConfig none{};
  EXPECT_EQ(AdmitMany("acme", none, 2, 3), 2);
  EXPECT_EQ(AdmitMany("globex", {.max_concurrent_hsm = 10}, 5, 3), 1);
  EXPECT_EQ(RefusalOf("globex", none, 3), "server max_concurrent_hsm 3");
  EXPECT_EQ(quotas_.ServerInFlight(), 3);
  EXPECT_EQ(quotas_.InFlight("globex"), 1);  // its refusals gave their tenant places back
  EXPECT_EQ(quotas_.InFlight("acme"), 0);    // no quota: counted for the server only
}

TEST_F(TenantQuotasTest, ARefusalGivesBackTheTokenAndPlaceItTook) {
  const config::QuotaConfig quota{.requests_per_second = 1, .burst = 2, .max_concurrent_hsm = 1};
  EXPECT_EQ(AdmitMany("acme", quota, 1), 1);
  // The cap refuses: the token it took first is returned.
  EXPECT_EQ(RefusalOf("acme", quota), "tenant acme max_concurrent_hsm 1");
  held_.clear();
  EXPECT_EQ(AdmitMany("acme", quota, 1, 1), 1);  // the returned token
  // The server refuses: the tenant's place and token are returned.
  const config::QuotaConfig uncapped{.requests_per_second = 1, .burst = 2};
  EXPECT_EQ(AdmitMany("globex", uncapped, 1, 1), 0);
  EXPECT_EQ(quotas_.InFlight("globex"), 0);
  held_.clear();
  EXPECT_EQ(AdmitMany("globex", uncapped, 5, 1), 1);
  held_.clear();
  EXPECT_EQ(AdmitMany("globex", uncapped, 5, 1), 1);  // both of its burst were still there
}

TEST_F(TenantQuotasTest, AReloadKeepsAnUnchangedBucketAndStartsAChangedOneFull) {
  const config::QuotaConfig quota{.requests_per_second = 10, .burst = 3};
  EXPECT_EQ(AdmitMany("acme", quota, 3), 3);
  EXPECT_EQ(AdmitMany("acme", config::QuotaConfig{quota}, 1), 0);  // same values: same bucket
  const config::QuotaConfig raised{.requests_per_second = 10, .burst = 4};
  EXPECT_EQ(AdmitMany("acme", raised, 10), 4);
}

TEST_F(TenantQuotasTest, OperationsInFlightStillCountAfterTheCapChanges) {
  EXPECT_EQ(AdmitMany("acme", {.max_concurrent_hsm = 5}, 3), 3);
  EXPECT_EQ(RefusalOf("acme", {.max_concurrent_hsm = 3}), "tenant acme max_concurrent_hsm 3");
  EXPECT_EQ(AdmitMany("acme", {.max_concurrent_hsm = 4}, 5), 1);
}

TEST_F(TenantQuotasTest, AMovedSlotIsReleasedOnce) {
  EXPECT_EQ(AdmitMany("acme", {.max_concurrent_hsm = 5}, 2), 2);
  HsmSlot moved = std::move(held_[0]);
  HsmSlot assigned;
  assigned = std::move(held_[1]);
  EXPECT_FALSE(held_[0].held());
  EXPECT_TRUE(moved.held());
  held_.clear();
  EXPECT_EQ(quotas_.InFlight("acme"), 2);
  moved = std::move(assigned);  // releases what `moved` held
  EXPECT_EQ(quotas_.InFlight("acme"), 1);
  moved.Release();
  EXPECT_EQ(quotas_.InFlight("acme"), 0);
  EXPECT_EQ(quotas_.ServerInFlight(), 0);
}

TEST_F(TenantQuotasTest, ConcurrentAdmissionsNeverExceedTheCaps) {
  const config::QuotaConfig quota{.max_concurrent_hsm = 8};
  std::atomic<int> peak{0}, now_holding{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto slot = quotas_.Admit("acme", quota, 6);
        if (!slot.ok()) continue;
        const int holding = now_holding.fetch_add(1) + 1;
        int seen = peak.load();
        while (holding > seen && !peak.compare_exchange_weak(seen, holding)) {
        }
        now_holding.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 6);
  EXPECT_EQ(quotas_.InFlight("acme"), 0);
  EXPECT_EQ(quotas_.ServerInFlight(), 0);
}

}  // namespace
}  // namespace xks::api
