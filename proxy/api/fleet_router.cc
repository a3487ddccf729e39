#include "proxy/api/fleet_router.h"

#include <limits>
#include <utility>

namespace xks::api {

HealthStatus FleetHealth(std::span<const HealthStatus> members) {
  bool all_active = !members.empty(), any_serving = false;
  for (HealthStatus status : members) {
    all_active = all_active && status == HealthStatus::kActive;
    any_serving = any_serving || status != HealthStatus::kUnavailable;
  }
  if (all_active) return HealthStatus::kActive;
  return any_serving ? HealthStatus::kDegraded : HealthStatus::kUnavailable;
}

MemberLease::MemberLease(std::string token_id, std::shared_ptr<std::atomic<int>> in_flight)
    : token_id_(std::move(token_id)), in_flight_(std::move(in_flight)) {
  if (in_flight_) in_flight_->fetch_add(1, std::memory_order_relaxed);
}

MemberLease::~MemberLease() {
  if (in_flight_) in_flight_->fetch_sub(1, std::memory_order_relaxed);
}

MemberLease& MemberLease::operator=(MemberLease&& other) noexcept {
  if (this != &other) {
    if (in_flight_) in_flight_->fetch_sub(1, std::memory_order_relaxed);
    token_id_ = std::move(other.token_id_);
    in_flight_ = std::move(other.in_flight_);
  }
  return *this;
}

std::shared_ptr<std::atomic<int>> FleetRouter::CounterLocked(const std::string& token_id) {
  auto it = in_flight_.find(token_id);
  if (it == in_flight_.end()) {
    it = in_flight_.emplace(token_id, std::make_shared<std::atomic<int>>(0)).first;
  }
  return it->second;
}

MemberLease FleetRouter::Pick(std::span<const std::string> members, std::string_view exclude) {
  if (members.size() == 1) return MemberLease(members.front(), nullptr);
  std::lock_guard lock(mu_);
  const std::string* best = nullptr;
  std::shared_ptr<std::atomic<int>> best_counter;
  bool best_usable = false;
  int best_load = std::numeric_limits<int>::max();
  for (const std::string& member : members) {
    if (member == exclude) continue;
    const bool usable = health_.Status(member) != HealthStatus::kUnavailable;
    std::shared_ptr<std::atomic<int>> counter = CounterLocked(member);
    const int load = counter->load(std::memory_order_relaxed);
    // A usable member beats any unusable one; among equals, the fewest in flight, then the
    // first listed (the loop only replaces on strictly better).
    if (best == nullptr || (usable && !best_usable) ||
        (usable == best_usable && load < best_load)) {
      best = &member;
      best_counter = std::move(counter);
      best_usable = usable;
      best_load = load;
    }
  }
  if (best == nullptr) {  // every member was excluded: only possible with duplicates
    return MemberLease(members.front(), CounterLocked(members.front()));
  }
  return MemberLease(*best, std::move(best_counter));
}

int FleetRouter::InFlight(std::string_view token_id) const {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(token_id);
  return it == in_flight_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

}  // namespace xks::api
