#include "proxy/api/tenant_quotas.h"

#include <algorithm>
#include <utility>

namespace xks::api {
namespace {

constexpr std::int64_t kNanoTokensPerToken = 1000000000;  // tokens counted in billionths

// Takes one place under `cap` (0: no cap) on `counter`, or leaves it as it was.
bool TakePlace(std::atomic<std::int64_t>& counter, std::size_t cap) {
  const std::int64_t now_in_flight = counter.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (cap == 0 || now_in_flight <= static_cast<std::int64_t>(cap)) return true;
  counter.fetch_sub(1, std::memory_order_acq_rel);
  return false;
}

}  // namespace

struct TenantQuotas::TenantState {
  std::mutex mu;  // the bucket below
  std::uint32_t rate = 0;
  std::uint32_t burst = 0;
  std::int64_t nano_tokens = 0;
  std::chrono::steady_clock::time_point refilled;
  const std::shared_ptr<std::atomic<std::int64_t>> in_flight =
      std::make_shared<std::atomic<std::int64_t>>(0);
};

HsmSlot& HsmSlot::operator=(HsmSlot&& other) noexcept {
  if (this != &other) {
    Release();
    tenant_ = std::move(other.tenant_);
    server_ = std::move(other.server_);
  }
  return *this;
}

void HsmSlot::Release() {
  if (tenant_) tenant_->fetch_sub(1, std::memory_order_acq_rel);
  if (server_) server_->fetch_sub(1, std::memory_order_acq_rel);
  tenant_.reset();
  server_.reset();
}

TenantQuotas::TenantQuotas(SteadyClock clock)
    : clock_(std::move(clock)), server_in_flight_(std::make_shared<std::atomic<std::int64_t>>(0)) {}

Result<HsmSlot, std::string> TenantQuotas::Admit(std::string_view tenant,
                                                 const config::QuotaConfig& quota,
                                                 std::size_t server_cap) {
  std::shared_ptr<TenantState> state;
  if (quota != config::QuotaConfig{}) {
    state = StateOf(tenant);
    const std::string who = "tenant " + std::string(tenant);
    if (quota.requests_per_second != 0 && !TakeToken(*state, quota, clock_())) {
      return Fail(who + " requests_per_second " + std::to_string(quota.requests_per_second));
    }
    if (!TakePlace(*state->in_flight, quota.max_concurrent_hsm)) {
      if (quota.requests_per_second != 0) ReturnToken(*state);
      return Fail(who + " max_concurrent_hsm " + std::to_string(quota.max_concurrent_hsm));
    }
  }
  if (!TakePlace(*server_in_flight_, server_cap)) {
    if (state) {
      state->in_flight->fetch_sub(1, std::memory_order_acq_rel);
      if (quota.requests_per_second != 0) ReturnToken(*state);
    }
    return Fail("server max_concurrent_hsm " + std::to_string(server_cap));
  }
  return HsmSlot(state ? state->in_flight : nullptr, server_in_flight_);
}

std::int64_t TenantQuotas::InFlight(std::string_view tenant) const {
  std::shared_lock l(mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second->in_flight->load();
}

std::shared_ptr<TenantQuotas::TenantState> TenantQuotas::StateOf(std::string_view tenant) {
  {
    std::shared_lock l(mu_);
    if (auto it = tenants_.find(tenant); it != tenants_.end()) return it->second;
  }
  // Entries stay: at most one per tenant name ever configured, and a removed tenant that comes
  // back keeps counting its operations still in flight.
  std::unique_lock l(mu_);
  auto [it, fresh] = tenants_.try_emplace(std::string(tenant), nullptr);
  if (fresh) it->second = std::make_shared<TenantState>();
  return it->second;
}

bool TenantQuotas::TakeToken(TenantState& state, const config::QuotaConfig& quota,
                             std::chrono::steady_clock::time_point now) {
  const std::int64_t full = std::int64_t{quota.burst} * kNanoTokensPerToken;
  std::lock_guard l(state.mu);
  if (state.rate != quota.requests_per_second || state.burst != quota.burst) {
    // A new tenant or a changed quota: a fresh, full bucket.
    state.rate = quota.requests_per_second;
    state.burst = quota.burst;
    state.nano_tokens = full;
  } else if (now > state.refilled) {
    // Elapsed nanoseconds × rate, capped before multiplying so a long pause cannot overflow.
    const std::int64_t elapsed_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - state.refilled).count();
    const std::int64_t missing = full - state.nano_tokens;
    const std::int64_t ns_to_full = (missing + state.rate - 1) / state.rate;
    state.nano_tokens =
        elapsed_ns >= ns_to_full ? full : state.nano_tokens + elapsed_ns * state.rate;
  }
  state.refilled = std::max(state.refilled, now);
  if (state.nano_tokens < kNanoTokensPerToken) return false;
  state.nano_tokens -= kNanoTokensPerToken;
  return true;
}

void TenantQuotas::ReturnToken(TenantState& state) {
  std::lock_guard l(state.mu);
  state.nano_tokens = std::min(state.nano_tokens + kNanoTokensPerToken,
                               std::int64_t{state.burst} * kNanoTokensPerToken);
}

}  // namespace xks::api
