#include "pkcs11/key_cache.h"

namespace xks::pkcs11 {

std::optional<unsigned long> KeyCache::Get(std::string_view label, std::uint64_t generation) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(label));
  if (it == entries_.end() || it->second.generation != generation) return std::nullopt;
  return it->second.handle;
}

void KeyCache::Put(std::string_view label, std::uint64_t generation, unsigned long handle) {
  std::lock_guard lock(mu_);
  entries_[std::string(label)] = Entry{handle, generation};
}

std::optional<std::pair<unsigned long, std::uint64_t>> KeyCache::Erase(std::string_view label) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(label));
  if (it == entries_.end()) return std::nullopt;
  auto out = std::make_pair(it->second.handle, it->second.generation);
  entries_.erase(it);
  return out;
}

void KeyCache::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace xks::pkcs11
