#pragma once
// Per-tenant quotas and the server's HSM cap (tenants[].quota, server.max_concurrent_hsm; issue
// 15). A key operation is admitted when its tenant's token bucket has a token
// (requests_per_second, burst), fewer than the tenant's max_concurrent_hsm of its operations are
// with the HSM, and fewer than server.max_concurrent_hsm of all tenants' are. Anything beyond is
// refused at once (the caller answers 429 ThrottlingException): nothing queues here.
//
// Order: the tenant's own limits first, the server's last, and every step undone when a later one
// refuses, so a tenant flooding past its own quota never takes a server slot, not even briefly,
// that another tenant's request could have used.
//
// Reloads: state is keyed by tenant name and lives as long as this object. A bucket is kept while
// the tenant's (requests_per_second, burst) stay the same, and starts full when they change. The
// in-flight count is a fact about the HSM, not about the quota: it is kept across every reload, so
// a changed max_concurrent_hsm applies to the operations already running too. A tenant without
// any quota costs no lookup (only the server's counter); its operations are counted for the
// tenant only once it has one.
//
// Tokens are counted in billionths with integer arithmetic, so boundaries are exact: at 500
// requests/s an empty bucket holds its next token after exactly 2 ms.
//
// Thread safety: every member is thread-safe. Admit takes a shared lock on the tenant map (a
// unique one only the first time a tenant is seen) and one short mutex of that tenant's bucket;
// the caps are atomics. HsmSlot is movable, not shared.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "proxy/api/health_monitor.h"
#include "proxy/config/config.h"

namespace xks::api {

/// One admitted key operation's place under the HSM caps (its tenant's and the server's), given
/// back when destroyed or Release()d. Hold it until the operation's HSM work has really finished.
class HsmSlot {
 public:
  HsmSlot() = default;
  ~HsmSlot() { Release(); }
  HsmSlot(HsmSlot&& other) noexcept = default;
  HsmSlot& operator=(HsmSlot&& other) noexcept;
  HsmSlot(const HsmSlot&) = delete;
  HsmSlot& operator=(const HsmSlot&) = delete;

  /// Gives the place back now (idempotent).
  void Release();
  bool held() const { return server_ != nullptr; }

 private:
  friend class TenantQuotas;
  using Counter = std::shared_ptr<std::atomic<std::int64_t>>;
  HsmSlot(Counter tenant, Counter server)
      : tenant_(std::move(tenant)), server_(std::move(server)) {}
  Counter tenant_;  // null: the tenant has no quota (not counted)
  Counter server_;  // null: nothing held
};

class TenantQuotas {
 public:
  explicit TenantQuotas(SteadyClock clock);

  /// Admits one key operation of `tenant` under `quota` and a server cap of `server_cap` (0: no
  /// cap), or returns which limit refused it, e.g. "tenant acme requests_per_second 500",
  /// "tenant acme max_concurrent_hsm 32", "server max_concurrent_hsm 128" (for the operator's
  /// log; no secrets). Never blocks beyond the short locks above.
  Result<HsmSlot, std::string> Admit(std::string_view tenant, const config::QuotaConfig& quota,
                                     std::size_t server_cap);

  /// Operations of `tenant` holding a slot (0 for a tenant never seen with a quota).
  std::int64_t InFlight(std::string_view tenant) const;
  /// Operations of all tenants holding a slot.
  std::int64_t ServerInFlight() const { return server_in_flight_->load(); }

 private:
  struct TenantState;
  std::shared_ptr<TenantState> StateOf(std::string_view tenant);
  static bool TakeToken(TenantState& state, const config::QuotaConfig& quota,
                        std::chrono::steady_clock::time_point now);
  static void ReturnToken(TenantState& state);

  const SteadyClock clock_;
  const std::shared_ptr<std::atomic<std::int64_t>> server_in_flight_;
  mutable std::shared_mutex mu_;  // the map only; each bucket has its own mutex
  std::map<std::string, std::shared_ptr<TenantState>, std::less<>> tenants_;
};

}  // namespace xks::api
