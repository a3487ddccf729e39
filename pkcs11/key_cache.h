#pragma once
// Object handles of one token's keys, by label, stamped with the module generation they were found
// under. Internal to pkcs11/.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace xks::pkcs11 {

/// Thread-safe. A handle is returned only for the generation it was stored under, so a handle from
/// before a module re-initialization is never reused. One cache per token (TokenClient), so the
/// (token, label) key is (this cache, label).
class KeyCache {
 public:
  struct Entry {
    unsigned long handle;
    std::uint64_t generation;
    bool session_copy = false;  ///< a session object this client made (its to destroy)
    unsigned long source = 0;   ///< for a copy: the token object it was copied from
  };

  /// The cached handle for `label` under `generation`, if any.
  std::optional<unsigned long> Get(std::string_view label, std::uint64_t generation) const;
  /// Stores (overwrites) the handle for `label`.
  void Put(std::string_view label, std::uint64_t generation, unsigned long handle);
  /// Stores (overwrites) a session copy of the token object `source` for `label`.
  void PutCopy(std::string_view label, std::uint64_t generation, unsigned long handle,
               unsigned long source);
  /// Forgets `label`; returns the entry it had (so a session copy can be destroyed).
  std::optional<Entry> Erase(std::string_view label);
  /// Whether any entry is a session copy.
  bool HasCopies() const;
  /// Forgets everything; returns what it had.
  std::vector<Entry> TakeAll();
  /// Forgets the session copies of `generation` whose source is not in `live_sources`; returns
  /// them (for the caller to destroy).
  std::vector<Entry> TakeCopiesWithout(std::uint64_t generation,
                                       const std::vector<unsigned long>& live_sources);

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace xks::pkcs11
