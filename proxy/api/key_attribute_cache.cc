#include "proxy/api/key_attribute_cache.h"

namespace xks::api {

KeyAttributeCache::KeyAttributeCache(std::size_t max_entries) : max_entries_(max_entries) {}

std::string KeyAttributeCache::CacheKey(const KeyLocation& key) {
  return key.token_id + '\n' + key.key_label;
}

std::optional<KeyAttributes> KeyAttributeCache::Find(const KeyLocation& key, TimePoint now) const {
  const std::string cache_key = CacheKey(key);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(cache_key);
  if (it == entries_.end() || now >= it->second.expires) return std::nullopt;
  return it->second.attributes;
}

void KeyAttributeCache::Store(const KeyLocation& key, const KeyAttributes& attributes,
                              TimePoint expires) {
  std::string cache_key = CacheKey(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[std::move(cache_key)] = Entry{attributes, expires};
}

}  // namespace xks::api
