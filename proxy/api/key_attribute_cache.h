#pragma once
// A small cache of key attributes (api.key_attribute_cache_ttl), so that every Encrypt and Decrypt
// does not cost an extra HSM round trip for C_GetAttributeValue. Entries are keyed by token and
// key label, expire at a fixed time, and the whole cache is emptied when it reaches its cap (rare:
// one entry per configured key version).
//
// Thread safety: every member is thread-safe (one mutex, held only for the map operation).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "proxy/api/key_backend.h"

namespace xks::api {

class KeyAttributeCache {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  /// Default cap on entries.
  static constexpr std::size_t kDefaultMaxEntries = 4096;

  explicit KeyAttributeCache(std::size_t max_entries = kDefaultMaxEntries);

  /// The attributes stored for `key` if they expire after `now`.
  std::optional<KeyAttributes> Find(const KeyLocation& key, TimePoint now) const;

  /// Stores `attributes` for `key` until `expires`; empties the cache first when it is full.
  void Store(const KeyLocation& key, const KeyAttributes& attributes, TimePoint expires);

 private:
  struct Entry {
    KeyAttributes attributes;
    TimePoint expires;
  };
  static std::string CacheKey(const KeyLocation& key);

  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace xks::api
