#pragma once
// A small bounded cache of derived SigV4 signing keys, so a steady stream of requests from one
// credential costs one HMAC per request for the signature instead of five.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/secret_bytes.h"

namespace xks::auth {

/// Maps (store generation, access key id, date, region, service) to the derived signing key.
/// The store generation (CredentialStore::generation) is part of the key, so after a reload (a new
/// store, possibly with a rotated secret for the same access key id) old entries can never match;
/// they age out. Eviction is first-in-first-out once `capacity` entries are held; evicted and
/// destroyed keys are wiped (SecretBytes). Capacity 0 disables caching.
/// Thread-safe: every member may be called concurrently (one internal mutex).
/// Only the key derivation is cached, never a verification result.
class SigningKeyCache {
 public:
  explicit SigningKeyCache(std::size_t capacity);
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  /// The cache key for the given scope.
  static std::string MakeKey(std::uint64_t generation, std::string_view access_key_id,
                             std::string_view date, std::string_view region,
                             std::string_view service);

  /// A copy of the cached signing key, or nullopt on a miss.
  std::optional<SecretBytes> Lookup(const std::string& key) const;
  /// Stores a copy of `signing_key` under `key` (no-op if present or capacity is 0), evicting the
  /// oldest entry when full.
  void Insert(const std::string& key, const SecretBytes& signing_key);
  /// Number of entries held.
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, SecretBytes> entries_;
  std::deque<std::string> order_;  // insertion order, oldest first
};

}  // namespace xks::auth
