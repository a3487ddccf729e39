// Setup, the rule engine, commands and the life cycle of the fault-injecting module.

#include "tests/fault_pkcs11/fault_module.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace xks::fault_pkcs11 {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(1);

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

CK_RV SetupError(const std::string& what) {
  std::fprintf(stderr, "xks_fault_pkcs11: %s\n", what.c_str());
  return CKR_GENERAL_ERROR;
}

// A consistent copy of one rule (see the seqlock in control_block.h).
struct RuleView {
  std::uint64_t sequence = 0;
  bool armed = false;
  FaultAction action = FaultAction::kNone;
  FaultFunction function = FaultFunction::kAllCalls;
  bool applies_to_label = false;
  std::uint64_t rv = 0, value = 0, every_nth = 1, times = 0;
};

bool ReadRule(const SharedRule& rule, const std::optional<std::string>& label, RuleView& view) {
  const std::uint64_t before = rule.sequence.load(std::memory_order_acquire);
  if (before == 0 || (before & 1) != 0) return false;
  view.sequence = before;
  view.armed = rule.armed.load(std::memory_order_relaxed) != 0;
  view.action = static_cast<FaultAction>(rule.action.load(std::memory_order_relaxed));
  view.function = static_cast<FaultFunction>(rule.function.load(std::memory_order_relaxed));
  const bool scoped = rule.scoped.load(std::memory_order_relaxed) != 0;
  view.applies_to_label = !scoped || (label.has_value() && LabelEquals(rule.label, *label));
  view.rv = rule.rv.load(std::memory_order_relaxed);
  view.value = rule.value.load(std::memory_order_relaxed);
  view.every_nth = rule.every_nth.load(std::memory_order_relaxed);
  view.times = rule.times.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  return rule.sequence.load(std::memory_order_relaxed) == before;
}

}  // namespace

FaultModule& FaultModule::Get() {
  static FaultModule* const instance = new FaultModule();
  return *instance;
}

CK_RV FaultModule::Setup() {
  std::lock_guard lock(setup_mu_);
  if (CK_RV rv = LoadTargetLocked(); rv != CKR_OK) return rv;
  return MapControlLocked();
}

CK_RV FaultModule::LoadTargetLocked() {
  if (real_.load() != nullptr) return CKR_OK;  // the real module stays for the process lifetime
  target_path_ = EnvOrEmpty("XKS_FAULT_PKCS11_TARGET");
  if (target_path_.empty()) return SetupError("XKS_FAULT_PKCS11_TARGET is not set");
  void* library = dlopen(target_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return SetupError("cannot load " + target_path_ + ": " + dlerror());
  // dlsym returns void*; every PKCS#11 loader converts it to the function's type.
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
  CK_FUNCTION_LIST* list = nullptr;
  if (get_list == nullptr || get_list(&list) != CKR_OK || list == nullptr) {
    return SetupError("no function list in " + target_path_);
  }
  real_.store(list, std::memory_order_release);
  return CKR_OK;
}

CK_RV FaultModule::MapControlLocked() {
  const std::string path = EnvOrEmpty("XKS_FAULT_PKCS11_CONTROL");
  if (block_.load() != nullptr && path == control_path_) return CKR_OK;
  ControlBlock* block = &private_block_;
  if (!path.empty()) {
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return SetupError("cannot open control file " + path);
    struct stat st {};
    void* mapped = MAP_FAILED;
    if (fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) >= sizeof(ControlBlock)) {
      mapped = mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    close(fd);
    if (mapped == MAP_FAILED) return SetupError("cannot map control file " + path);
    block = static_cast<ControlBlock*>(mapped);
    if (block->magic.load() != kControlMagic || block->version.load() != kControlVersion ||
        block->size.load() != sizeof(ControlBlock)) {
      munmap(mapped, sizeof(ControlBlock));
      return SetupError("control file " + path + " has another layout (rebuild both sides)");
    }
  }
  // An earlier mapping is left in place: a thread may still read it. One page per test, at most.
  control_path_ = path;
  seen_drop_epoch_.store(block->drop_sessions_epoch.load());
  seen_finalise_epoch_.store(block->finalise_epoch.load());
  block_.store(block, std::memory_order_release);
  return CKR_OK;
}

void FaultModule::CountCall(FaultFunction function) {
  block().calls[static_cast<std::size_t>(function)].fetch_add(1, std::memory_order_relaxed);
}

void FaultModule::ApplyCommands() {
  ControlBlock& b = block();
  const std::uint64_t drop = b.drop_sessions_epoch.load(std::memory_order_acquire);
  if (drop != seen_drop_epoch_.load(std::memory_order_acquire)) DropSessions(drop);
  const std::uint64_t finalise = b.finalise_epoch.load(std::memory_order_acquire);
  if (finalise != seen_finalise_epoch_.load(std::memory_order_acquire)) {
    FinaliseRealModule(finalise);
  }
}

void FaultModule::DropSessions(std::uint64_t epoch) {
  std::shared_lock calls(real_calls_);
  std::lock_guard lock(sessions_mu_);
  if (seen_drop_epoch_.exchange(epoch) == epoch) return;  // another thread did it
  ControlBlock& b = block();
  const bool scoped = b.drop_sessions_scoped.load() != 0;
  for (auto& [handle, session] : sessions_) {
    if (session.dropped || (scoped && !LabelEquals(b.drop_sessions_label, session.label))) continue;
    if (!finalised_.load()) (void)real().C_CloseSession(session.real);
    session.dropped = true;
    b.sessions_open.fetch_sub(1);
    b.sessions_dropped.fetch_add(1);
  }
  b.faults_injected.fetch_add(1);
}

void FaultModule::FinaliseRealModule(std::uint64_t epoch) {
  std::unique_lock calls(real_calls_);
  if (seen_finalise_epoch_.exchange(epoch) == epoch) return;
  if (!finalised_.load()) (void)real().C_Finalize(nullptr);
  finalised_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(sessions_mu_);
    ClearSessionsLocked();
  }
  std::lock_guard lock(labels_mu_);
  labels_.clear();
  block().finalised_underneath.fetch_add(1);
  block().faults_injected.fetch_add(1);
}

void FaultModule::ClearSessionsLocked() {
  for (const auto& entry : sessions_) {
    if (!entry.second.dropped) block().sessions_open.fetch_sub(1);
  }
  sessions_.clear();
}

CK_RV FaultModule::InjectFaults(FaultFunction function, const std::optional<std::string>& label) {
  ControlBlock& b = block();
  for (SharedRule& rule : b.rules) {
    if (rule.armed.load(std::memory_order_acquire) == 0) continue;
    RuleView view;
    if (!ReadRule(rule, label, view) || !view.armed || !view.applies_to_label) continue;
    if (view.action == FaultAction::kLimitSessions || !SelectorMatches(view.function, function)) {
      continue;
    }
    if (!Fires(rule, view.every_nth, view.times)) continue;
    b.faults_injected.fetch_add(1, std::memory_order_relaxed);
    switch (view.action) {
      case FaultAction::kReturnRv:
        return static_cast<CK_RV>(view.rv);
      case FaultAction::kAddLatency:
        Sleep(view.value);
        break;
      case FaultAction::kHang:
        if (!HangUntilReleased(rule, view.sequence)) return CKR_CRYPTOKI_NOT_INITIALIZED;
        break;
      default:
        break;
    }
  }
  return CKR_OK;
}

bool FaultModule::Fires(SharedRule& rule, std::uint64_t every_nth, std::uint64_t times) {
  const std::uint64_t n = rule.matched.fetch_add(1, std::memory_order_relaxed) + 1;
  if (every_nth > 1 && n % every_nth != 0) return false;
  std::uint64_t fired = rule.fired.load(std::memory_order_relaxed);
  do {
    if (times != 0 && fired >= times) return false;
  } while (!rule.fired.compare_exchange_weak(fired, fired + 1, std::memory_order_relaxed));
  return true;
}

bool FaultModule::HangUntilReleased(const SharedRule& rule, std::uint64_t sequence) {
  ControlBlock& b = block();
  // Read the epoch before announcing the hang: a Release() that follows the announcement is seen.
  // A Release() that came between reading the rule and this line removed the rule, which changed
  // its sequence: that ends the hang too.
  const std::uint64_t epoch = b.release_epoch.load(std::memory_order_acquire);
  hung_here_.fetch_add(1);
  b.hung_now.fetch_add(1);
  bool released = false;
  while (!finalizing_.load() && !shutting_down_.load()) {
    if (b.release_epoch.load(std::memory_order_acquire) != epoch ||
        rule.sequence.load(std::memory_order_acquire) != sequence) {
      released = true;
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  b.hung_now.fetch_sub(1);
  hung_here_.fetch_sub(1);
  return released;
}

void FaultModule::Sleep(std::uint64_t micros) {
  // In slices, so a long latency (a minute) still ends promptly at unload.
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  for (auto now = std::chrono::steady_clock::now(); now < until && !shutting_down_.load();
       now = std::chrono::steady_clock::now()) {
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, kPollInterval));
  }
}

CK_RV FaultModule::Initialize(void* init_args) {
  if (CK_RV rv = Setup(); rv != CKR_OK) return rv;
  CountCall(FaultFunction::C_Initialize);
  if (CK_RV rv = InjectFaults(FaultFunction::C_Initialize, std::nullopt); rv != CKR_OK) return rv;
  std::unique_lock calls(real_calls_);
  const CK_RV rv = real().C_Initialize(init_args);
  if (rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    finalised_.store(false, std::memory_order_release);
  }
  if (rv == CKR_OK) {  // a fresh start: no session or slot of before exists
    {
      std::lock_guard lock(sessions_mu_);
      ClearSessionsLocked();
    }
    std::lock_guard lock(labels_mu_);
    labels_.clear();
  }
  return rv;
}

CK_RV FaultModule::Finalize(void* reserved) {
  if (real_.load() == nullptr) return CKR_CRYPTOKI_NOT_INITIALIZED;
  CountCall(FaultFunction::C_Finalize);
  if (CK_RV rv = InjectFaults(FaultFunction::C_Finalize, std::nullopt); rv != CKR_OK) return rv;
  if (finalised_.load()) return CKR_CRYPTOKI_NOT_INITIALIZED;
  WaitForHungCallsToLeave();
  std::unique_lock calls(real_calls_);
  const CK_RV rv = real().C_Finalize(reserved);
  {
    std::lock_guard lock(sessions_mu_);
    ClearSessionsLocked();
  }
  std::lock_guard lock(labels_mu_);
  labels_.clear();
  return rv;
}

void FaultModule::WaitForHungCallsToLeave() {
  // Hung calls of this process give up (CKR_CRYPTOKI_NOT_INITIALIZED) instead of blocking the
  // caller's C_Finalize forever; bounded, in case a caller finalises under a running call.
  finalizing_.store(true);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (hung_here_.load() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(kPollInterval);
  }
  finalizing_.store(false);
}

void FaultModule::Shutdown() {
  shutting_down_.store(true);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (hung_here_.load() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace xks::fault_pkcs11
