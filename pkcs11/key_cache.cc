#include "pkcs11/key_cache.h"

#include <algorithm>

namespace xks::pkcs11 {

std::optional<unsigned long> KeyCache::Get(std::string_view label, std::uint64_t generation) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(label));
  if (it == entries_.end() || it->second.generation != generation) return std::nullopt;
  return it->second.handle;
}

void KeyCache::Put(std::string_view label, std::uint64_t generation, unsigned long handle) {
  std::lock_guard lock(mu_);
  entries_[std::string(label)] = Entry{handle, generation, false, 0};
}

void KeyCache::PutCopy(std::string_view label, std::uint64_t generation, unsigned long handle,
                       unsigned long source) {
  std::lock_guard lock(mu_);
  entries_[std::string(label)] = Entry{handle, generation, true, source};
}

std::optional<KeyCache::Entry> KeyCache::Erase(std::string_view label) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(label));
  if (it == entries_.end()) return std::nullopt;
  Entry out = it->second;
  entries_.erase(it);
  return out;
}

bool KeyCache::HasCopies() const {
  std::lock_guard lock(mu_);
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto& kv) { return kv.second.session_copy; });
}

std::vector<KeyCache::Entry> KeyCache::TakeAll() {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [label, entry] : entries_) out.push_back(entry);
  entries_.clear();
  return out;
}

std::vector<KeyCache::Entry> KeyCache::TakeCopiesWithout(
    std::uint64_t generation, const std::vector<unsigned long>& live_sources) {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& e = it->second;
    const bool live =
        std::find(live_sources.begin(), live_sources.end(), e.source) != live_sources.end();
    if (e.session_copy && e.generation == generation && !live) {
      out.push_back(e);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace xks::pkcs11
