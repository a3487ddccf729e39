// tenants[i].quota (issue 15): a token bucket and a cap on the tenant's key operations with the
// HSM at once. Parsed apart from the rest of the tenant so the quota's rules stay in one place.

#include "proxy/config/config_sections.h"
#include "proxy/config/config_writer.h"

namespace xks::config::parsing {
namespace {

// Far beyond any one key store (KMS sends at most 1800 requests/s), low enough that tokens
// counted in billionths (api::TenantQuotas) cannot overflow.
constexpr std::uint64_t kMaxQuotaRequestsPerSecond = 1000000;
constexpr std::uint64_t kMaxQuotaBurst = 10000000;
constexpr std::uint64_t kMaxQuotaConcurrentHsm = 1000000;

}  // namespace

void ParseTenantQuota(const json& t, const std::string& tp, TenantConfig& tc, Checker& c) {
  const json* q = c.Object(t, "quota", tp, false);
  if (q == nullptr) return;
  const std::string qp = Join(tp, "quota");
  c.CheckKnown(*q, qp, {"requests_per_second", "burst", "max_concurrent_hsm"});
  if (q->empty()) {
    c.Add(qp, "empty — give requests_per_second (and burst) or max_concurrent_hsm, or remove it");
    return;
  }
  QuotaConfig& out = tc.quota;
  if (auto v = c.Uint(*q, "requests_per_second", qp, 1, kMaxQuotaRequestsPerSecond)) {
    out.requests_per_second = static_cast<std::uint32_t>(*v);
  }
  if (auto v = c.Uint(*q, "burst", qp, 1, kMaxQuotaBurst)) {
    out.burst = static_cast<std::uint32_t>(*v);
    if (!q->contains("requests_per_second")) {
      c.Add(Join(qp, "burst"), "needs requests_per_second — the rate that refills the burst");
    }
  }
  // One second's worth by default: a tenant may spend a quiet second's requests at once.
  if (out.burst == 0) out.burst = out.requests_per_second;
  if (auto v = c.Uint(*q, "max_concurrent_hsm", qp, 1, kMaxQuotaConcurrentHsm)) {
    out.max_concurrent_hsm = static_cast<std::uint32_t>(*v);
  }
}

json SerializeTenantQuota(const QuotaConfig& quota, const SerializeOptions& options) {
  json out = json::object();
  if (quota.requests_per_second != 0) {
    out = writing::ObjectWriter(options)
              .Required("requests_per_second", quota.requests_per_second)
              .Optional("burst", quota.burst, quota.requests_per_second)
              .Take();
  }
  if (quota.max_concurrent_hsm != 0) out["max_concurrent_hsm"] = quota.max_concurrent_hsm;
  return out;
}

}  // namespace xks::config::parsing
