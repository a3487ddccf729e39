#include "pkcs11/key_cache.h"

namespace xks::pkcs11 {

std::optional<unsigned long> KeyCache::Get(std::string_view label, std::uint64_t generation) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(label));
  if (it == entries_.end() || it->second.generation != generation) return std::nullopt;
  return it->second.handle;
}

void KeyCache::Put(std::string_view label, std::uint64_t generation, unsigned long handle,
                   bool session_copy) {
  std::lock_guard lock(mu_);
  entries_[std::string(label)] = Entry{handle, generation, session_copy};
}

std::optional<KeyCache::Entry> KeyCache::Erase(std::string_view label) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(label));
  if (it == entries_.end()) return std::nullopt;
  Entry out = it->second;
  entries_.erase(it);
  return out;
}

std::vector<KeyCache::Entry> KeyCache::TakeAll() {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [label, entry] : entries_) out.push_back(entry);
  entries_.clear();
  return out;
}

}  // namespace xks::pkcs11
