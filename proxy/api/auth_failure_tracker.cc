#include "proxy/api/auth_failure_tracker.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace xks::api {

AuthFailureTracker::AuthFailureTracker(AuthFailureTrackerOptions options, SteadyClock clock)
    : options_(options), clock_(std::move(clock)), generation_start_(clock_()) {}

void AuthFailureTracker::TurnGenerations() const {
  const auto now = clock_();
  if (now - generation_start_ < options_.memory) return;
  // Every entry of `current_` was added within `memory` after generation_start_ (any call later
  // than that turns first), so it is kept one more generation unless that has passed too.
  if (now - generation_start_ >= 2 * options_.memory) {
    previous_.clear();
  } else {
    previous_ = std::move(current_);
  }
  current_.clear();
  generation_start_ = now;
}

std::string AuthFailureTracker::FailureKey(std::string_view address) {
  // The classifier asks on the I/O thread for every request: an IPv4 address (no ':') is its own
  // key without a parse.
  if (address.find(':') == std::string_view::npos) return std::string(address);
  const std::string text(address);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return text;
  static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                               0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
    if (inet_ntop(AF_INET, bytes.data() + 12, out, sizeof out) == nullptr) return text;
    return out;
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  if (inet_ntop(AF_INET6, bytes.data(), out, sizeof out) == nullptr) return text;
  return std::string(out) + "/64";
}

void AuthFailureTracker::NoteFailure(std::string_view address) {
  std::string key = FailureKey(address);
  std::lock_guard lock(mu_);
  TurnGenerations();
  if (auto it = current_.find(key); it != current_.end()) {
    if (it->second < UINT32_MAX) ++it->second;
    return;
  }
  if (current_.size() < options_.capacity) {
    current_.emplace(std::move(key), 1);
    return;
  }
  if (current_.empty()) return;  // capacity 0: remember nothing
  const auto fewest =
      std::min_element(current_.begin(), current_.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  const std::uint32_t inherited = fewest->second < UINT32_MAX ? fewest->second + 1 : UINT32_MAX;
  current_.erase(fewest);
  current_.emplace(std::move(key), inherited);
}

bool AuthFailureTracker::RecentlyFailed(std::string_view address) const {
  const std::string key = FailureKey(address);
  std::lock_guard lock(mu_);
  TurnGenerations();
  std::uint64_t failures = 0;
  if (auto it = current_.find(key); it != current_.end()) failures += it->second;
  if (auto it = previous_.find(key); it != previous_.end()) failures += it->second;
  return failures >= std::max<std::uint32_t>(1, options_.failures_to_demote);
}

}  // namespace xks::api
