#pragma once
// A byte buffer for secrets (PINs, plaintext, data keys, SigV4 secrets) that is wiped when freed
// or resized, kept in locked memory (mlock) excluded from core dumps (MADV_DONTDUMP) where the
// kernel allows it, and never printed.
// Thread safety: a value type; one instance is not safe for concurrent mutation. The secret
// memory functions are thread-safe.

#include <string.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <vector>

namespace xks {

/// Secret memory: where ZeroizingAllocator gets its bytes (docs/operations.md, "Security").
/// Blocks up to 64 KiB come from one 4 MiB region reserved per process, excluded from core
/// dumps, and locked into RAM 64 KiB at a time as it is first used. Where mlock is refused (EPERM
/// without CAP_IPC_LOCK, ENOMEM past RLIMIT_MEMLOCK) the memory is used unlocked: the failure is
/// counted, and the warning sink is told once, without any content. Larger blocks, and blocks
/// once the region is used up, come from the ordinary heap. Every block is wiped on release.
namespace secret_memory {
struct Stats {
  std::size_t reserved_bytes = 0;  ///< the region (0: it could not be mapped; all from the heap)
  std::size_t chunk_bytes = 0;     ///< carved into blocks so far
  std::size_t locked_bytes = 0;    ///< of those, locked
  std::size_t lock_failures = 0;   ///< chunks mlock refused (the documented fallback)
  bool dump_excluded = false;      ///< MADV_DONTDUMP took on the region
};
using WarningSink = void (*)(const char* message);

void* Allocate(std::size_t bytes);
/// Wipes then frees `p` (from Allocate with the same `bytes`). nullptr is ignored.
void Release(void* p, std::size_t bytes) noexcept;
/// True when `p` lies in the secret region.
bool InArena(const void* p);
Stats GetStats();
/// Where the one mlock warning goes (e.g. the process log); one raised earlier is passed on now.
void SetWarningSink(WarningSink sink);
}  // namespace secret_memory

/// Allocator over secret memory (above) that zeroes memory before releasing it. The zeroing uses
/// explicit_bzero so the compiler cannot elide it.
template <typename T>
struct ZeroizingAllocator {
  using value_type = T;
  ZeroizingAllocator() noexcept = default;
  template <typename U>
  ZeroizingAllocator(const ZeroizingAllocator<U>&) noexcept {}  // NOLINT: implicit by design

  static_assert(alignof(T) <= alignof(std::max_align_t), "secret memory blocks are max-aligned");

  T* allocate(std::size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(secret_memory::Allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { secret_memory::Release(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const ZeroizingAllocator<U>&) const noexcept {
    return true;
  }
};

/// Owns secret bytes. Copying is explicit (Clone) so secrets are not duplicated by accident.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  explicit SecretBytes(std::span<const std::uint8_t> data) : bytes_(data.begin(), data.end()) {}
  explicit SecretBytes(std::string_view text)
      : bytes_(reinterpret_cast<const std::uint8_t*>(text.data()),
               reinterpret_cast<const std::uint8_t*>(text.data()) + text.size()) {}
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes Clone() const { return SecretBytes(span()); }

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  /// Shrinks without reallocating (so no unwiped copy is left behind); wipes the cut-off tail.
  void Truncate(std::size_t new_size) {
    if (new_size >= bytes_.size()) return;
    explicit_bzero(bytes_.data() + new_size, bytes_.size() - new_size);
    bytes_.resize(new_size);
  }
  std::span<const std::uint8_t> span() const { return {bytes_.data(), bytes_.size()}; }
  std::span<std::uint8_t> mutable_span() { return {bytes_.data(), bytes_.size()}; }
  /// The bytes viewed as text (for PINs and SigV4 secrets). The view dies with this object.
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

 private:
  std::vector<std::uint8_t, ZeroizingAllocator<std::uint8_t>> bytes_;
};

/// Constant-time equality for MACs, signatures and secrets: the time depends only on the lengths.
inline bool ConstantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace xks
