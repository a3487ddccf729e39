// The memory SecretBytes lives in (secret_bytes.h, "Secret memory"): one reserved region,
// excluded from core dumps as a whole, carved into 64 KiB chunks that are locked (mlock) as they
// are first used, and into power-of-two blocks with a free list per size. Blocks are wiped when
// released and never handed back to the system, so a secret never lands in memory that swaps or
// that the next malloc user sees. Requests above the largest class, or past the region, come from
// the ordinary heap (still wiped on release).

#include "base/secret_bytes.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <mutex>
#include <new>
#include <string>

namespace xks::secret_memory {
namespace {

constexpr std::size_t kRegionBytes = std::size_t{4} << 20;  // virtual; committed as used
constexpr std::size_t kChunkBytes = std::size_t{64} << 10;
constexpr std::size_t kSmallestClass = 32;
constexpr std::size_t kClassCount = 12;  // 32 B .. 64 KiB

std::size_t ClassOf(std::size_t bytes) {
  std::size_t index = 0;
  for (std::size_t size = kSmallestClass; size < bytes; size <<= 1) ++index;
  return index;
}

struct FreeBlock {
  FreeBlock* next;
};

class Arena {
 public:
  Arena() {
    void* region = mmap(nullptr, kRegionBytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) return;  // every allocation then uses the heap
    begin_ = static_cast<char*>(region);
    next_chunk_ = begin_;
    // Linux >= 3.4; elsewhere (EINVAL) the region is still dumpable, but core dumps are off
    // for the proxy anyway (RLIMIT_CORE 0, not dumpable).
    dump_excluded_ = madvise(region, kRegionBytes, MADV_DONTDUMP) == 0;
  }

  bool Contains(const void* p) const {
    const char* c = static_cast<const char*>(p);
    return begin_ != nullptr && c >= begin_ && c < begin_ + kRegionBytes;
  }

  // nullptr: use the heap. `first_failure_errno` is set the first time mlock is refused.
  void* Take(std::size_t bytes, int& first_failure_errno) {
    if (bytes > kChunkBytes || begin_ == nullptr) return nullptr;
    const std::size_t index = ClassOf(bytes);
    const std::size_t size = kSmallestClass << index;
    std::lock_guard lock(mutex_);
    if (FreeBlock* block = free_[index]) {
      free_[index] = block->next;
      block->next = nullptr;
      return block;
    }
    Carve& carve = carves_[index];
    if (carve.next == carve.end) {
      if (next_chunk_ == begin_ + kRegionBytes) return nullptr;
      carve.next = next_chunk_;
      carve.end = next_chunk_ + kChunkBytes;
      next_chunk_ += kChunkBytes;
      LockChunk(carve.next, first_failure_errno);
    }
    void* out = carve.next;
    carve.next += size;
    return out;
  }

  void Give(void* p, std::size_t bytes) {
    const std::size_t index = ClassOf(bytes);
    std::lock_guard lock(mutex_);
    auto* block = static_cast<FreeBlock*>(p);
    block->next = free_[index];
    free_[index] = block;
  }

  Stats Get() const {
    std::lock_guard lock(mutex_);
    return {.reserved_bytes = begin_ ? kRegionBytes : 0,
            .chunk_bytes = static_cast<std::size_t>(next_chunk_ - begin_),
            .locked_bytes = locked_bytes_,
            .lock_failures = lock_failures_,
            .dump_excluded = dump_excluded_};
  }

 private:
  struct Carve {
    char* next = nullptr;
    char* end = nullptr;
  };

  void LockChunk(char* chunk, int& first_failure_errno) {
    if (mlock(chunk, kChunkBytes) == 0) {
      locked_bytes_ += kChunkBytes;
      return;
    }
    // EPERM (no CAP_IPC_LOCK and a zero limit) or ENOMEM (past RLIMIT_MEMLOCK): documented
    // fallback, the chunk is used unlocked.
    if (lock_failures_++ == 0) first_failure_errno = errno;
  }

  mutable std::mutex mutex_;
  char* begin_ = nullptr;
  char* next_chunk_ = nullptr;
  bool dump_excluded_ = false;
  std::size_t locked_bytes_ = 0;
  std::size_t lock_failures_ = 0;
  std::array<FreeBlock*, kClassCount> free_{};
  std::array<Carve, kClassCount> carves_{};
};

// Never destroyed: SecretBytes in other static objects may be released after main returns.
Arena& TheArena() {
  static Arena* arena = new Arena();
  return *arena;
}

std::atomic<WarningSink> warning_sink{nullptr};
std::atomic<bool> warning_pending{false};
std::string* pending_warning = nullptr;  // written once, before warning_pending is set
std::once_flag warning_once;

std::string LockWarning(int err) {
  struct rlimit limit {};
  getrlimit(RLIMIT_MEMLOCK, &limit);
  const std::string cap =
      limit.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(limit.rlim_cur) + " bytes";
  return std::string("cannot lock memory for secrets (mlock: ") + strerror(err) +
         ", RLIMIT_MEMLOCK " + cap +
         "); continuing with unlocked memory that may be swapped out — raise the limit "
         "(systemd LimitMEMLOCK=, ulimit -l) to lock it";
}

void Warn(int err) {
  std::call_once(warning_once, [err] {
    pending_warning = new std::string(LockWarning(err));
    warning_pending.store(true);
  });
  if (WarningSink sink = warning_sink.load(); sink && warning_pending.exchange(false)) {
    sink(pending_warning->c_str());
  }
}

}  // namespace

void* Allocate(std::size_t bytes) {
  int first_failure_errno = 0;
  void* p = TheArena().Take(bytes, first_failure_errno);
  if (first_failure_errno != 0) Warn(first_failure_errno);
  return p != nullptr ? p : ::operator new(bytes);
}

void Release(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  explicit_bzero(p, bytes);
  if (TheArena().Contains(p)) {
    TheArena().Give(p, bytes);
  } else {
    ::operator delete(p);
  }
}

bool InArena(const void* p) { return TheArena().Contains(p); }

Stats GetStats() { return TheArena().Get(); }

void SetWarningSink(WarningSink sink) {
  warning_sink.store(sink);
  // A failure before the sink was set is reported now, still once.
  if (sink && warning_pending.exchange(false)) sink(pending_warning->c_str());
}

}  // namespace xks::secret_memory
