#include "proxy/auth/signing_key_cache.h"

namespace xks::auth {

SigningKeyCache::SigningKeyCache(std::size_t capacity) : capacity_(capacity) {}

std::string SigningKeyCache::MakeKey(std::uint64_t generation, std::string_view access_key_id,
                                     std::string_view date, std::string_view region,
                                     std::string_view service) {
  // '\n' cannot occur in any field (the Authorization parser rejects control characters), so the
  // concatenation is unambiguous.
  std::string key = std::to_string(generation);
  for (std::string_view part : {access_key_id, date, region, service}) {
    key.push_back('\n');
    key.append(part);
  }
  return key;
}

std::optional<SecretBytes> SigningKeyCache::Lookup(const std::string& key) const {
  if (capacity_ == 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.Clone();
}

void SigningKeyCache::Insert(const std::string& key, const SecretBytes& signing_key) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.contains(key)) return;  // another thread derived the same key first
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  entries_.emplace(key, signing_key.Clone());
  order_.push_back(key);
}

std::size_t SigningKeyCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace xks::auth
