#include "proxy/api/fleet_router.h"

#include <limits>
#include <utility>

namespace xks::api {
namespace {

std::int64_t SinceEpochNs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

HealthStatus FleetHealth(std::span<const HealthStatus> members) {
  bool all_active = !members.empty(), any_serving = false;
  for (HealthStatus status : members) {
    all_active = all_active && status == HealthStatus::kActive;
    any_serving = any_serving || status != HealthStatus::kUnavailable;
  }
  if (all_active) return HealthStatus::kActive;
  return any_serving ? HealthStatus::kDegraded : HealthStatus::kUnavailable;
}

void MemberProgress::Began() {
  // An idle member starts its stall clock with this attempt, not at its last completion.
  if (in_flight.fetch_add(1, std::memory_order_acq_rel) == 0) {
    progress_ns.store(SinceEpochNs(clock()), std::memory_order_release);
  }
}

void MemberProgress::Answered() {
  progress_ns.store(SinceEpochNs(clock()), std::memory_order_release);
}

void MemberProgress::Ended() { in_flight.fetch_sub(1, std::memory_order_acq_rel); }

bool MemberProgress::Stalled(std::chrono::steady_clock::time_point now,
                             std::chrono::steady_clock::duration stall_after) const {
  if (in_flight.load(std::memory_order_acquire) == 0) return false;
  const std::int64_t since = SinceEpochNs(now) - progress_ns.load(std::memory_order_acquire);
  return since > std::chrono::duration_cast<std::chrono::nanoseconds>(stall_after).count();
}

MemberLease::MemberLease(std::string token_id, std::shared_ptr<MemberProgress> progress)
    : token_id_(std::move(token_id)), progress_(std::move(progress)) {
  if (progress_) progress_->Began();
}

MemberLease::~MemberLease() {
  if (progress_) progress_->Ended();
}

MemberLease& MemberLease::operator=(MemberLease&& other) noexcept {
  if (this != &other) {
    if (progress_) progress_->Ended();
    token_id_ = std::move(other.token_id_);
    progress_ = std::move(other.progress_);
  }
  return *this;
}

std::shared_ptr<MemberProgress> FleetRouter::ProgressLocked(const std::string& token_id) {
  auto it = members_.find(token_id);
  if (it == members_.end()) {
    it = members_.emplace(token_id, std::make_shared<MemberProgress>(clock_)).first;
  }
  return it->second;
}

FleetRouter::Choice FleetRouter::ChooseLocked(std::span<const std::string> members,
                                              std::string_view exclude) {
  const auto now = clock_();
  Choice best;
  int best_load = std::numeric_limits<int>::max();
  for (const std::string& member : members) {
    if (member == exclude) continue;
    std::shared_ptr<MemberProgress> progress = ProgressLocked(member);
    const bool usable = health_.Status(member) != HealthStatus::kUnavailable &&
                        !progress->Stalled(now, stall_after_);
    const int load = progress->in_flight.load(std::memory_order_relaxed);
    // A usable member beats any unusable one; among equals, the fewest in flight, then the
    // first listed (the loop only replaces on strictly better).
    if (best.member == nullptr || (usable && !best.usable) ||
        (usable == best.usable && load < best_load)) {
      best = Choice{&member, std::move(progress), usable};
      best_load = load;
    }
  }
  return best;
}

MemberLease FleetRouter::Pick(std::span<const std::string> members, std::string_view exclude) {
  if (members.size() == 1) return MemberLease(members.front(), nullptr);
  std::lock_guard lock(mu_);
  Choice best = ChooseLocked(members, exclude);
  if (best.member == nullptr) {  // every member was excluded: only possible with duplicates
    return MemberLease(members.front(), ProgressLocked(members.front()));
  }
  return MemberLease(*best.member, std::move(best.progress));
}

std::optional<MemberLease> FleetRouter::PickUsable(std::span<const std::string> members,
                                                   std::string_view exclude) {
  if (members.size() < 2) return std::nullopt;
  std::lock_guard lock(mu_);
  Choice best = ChooseLocked(members, exclude);
  if (best.member == nullptr || !best.usable) return std::nullopt;
  return MemberLease(*best.member, std::move(best.progress));
}

int FleetRouter::InFlight(std::string_view token_id) const {
  std::lock_guard lock(mu_);
  auto it = members_.find(token_id);
  return it == members_.end() ? 0 : it->second->in_flight.load(std::memory_order_relaxed);
}

}  // namespace xks::api
