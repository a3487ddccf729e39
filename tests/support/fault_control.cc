#include "tests/support/fault_control.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <thread>

#include "tests/support/softhsm_sandbox.h"
#include "tests/support/temp_dir.h"

namespace xks::testing {
namespace {

using fault_pkcs11::ControlBlock;
using fault_pkcs11::FaultAction;
using fault_pkcs11::SharedRule;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "FaultControl: %s\n", what);
  std::abort();
}

// Seqlock writer side (see control_block.h): odd while the fields change.
template <typename Write>
void RewriteRule(SharedRule& rule, Write&& write) {
  const std::uint64_t sequence = rule.sequence.load(std::memory_order_relaxed);
  rule.sequence.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  write(rule);
  rule.sequence.store(sequence + 2, std::memory_order_release);
}

template <typename Predicate>
bool PollUntil(Predicate&& done, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Maps the control file at `path`, creating and initializing it when `create`; nullptr on failure.
ControlBlock* MapControlFile(const std::string& path, bool create, std::string* error) {
  const int fd = create ? open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
                        : open(path.c_str(), O_RDWR | O_CLOEXEC);
  void* mapped = MAP_FAILED;
  if (fd >= 0 && (!create || ftruncate(fd, sizeof(ControlBlock)) == 0)) {
    mapped = mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  if (fd >= 0) close(fd);
  if (mapped == MAP_FAILED) {
    *error = "cannot " + std::string(create ? "create" : "open") + " control file " + path;
    return nullptr;
  }
  if (create) {
    auto* block = new (mapped) ControlBlock();
    block->version.store(fault_pkcs11::kControlVersion);
    block->size.store(sizeof(ControlBlock));
    block->magic.store(fault_pkcs11::kControlMagic, std::memory_order_release);
    return block;
  }
  auto* block = static_cast<ControlBlock*>(mapped);
  if (block->magic.load() != fault_pkcs11::kControlMagic ||
      block->version.load() != fault_pkcs11::kControlVersion ||
      block->size.load() != sizeof(ControlBlock)) {
    munmap(mapped, sizeof(ControlBlock));
    *error = "not a control file of this build: " + path;
    return nullptr;
  }
  return block;
}

}  // namespace

std::unique_ptr<FaultControl> FaultControl::Create(std::string target_module) {
  std::unique_ptr<FaultControl> control(new FaultControl());
  control->target_ = target_module.empty() ? SoftHsmSandbox::ModulePath() : target_module;
  control->dir_ = MakeTempTestDir("xks-fault-pkcs11");
  if (control->dir_.empty()) Die("mkdtemp failed");
  control->path_ = control->dir_ + "/control";
  std::string error;
  control->block_ = MapControlFile(control->path_, true, &error);
  if (control->block_ == nullptr) Die(error.c_str());
  return control;
}

std::unique_ptr<FaultControl> FaultControl::CreateFile(const std::string& path,
                                                       std::string* error) {
  return Open(path, true, error);
}

std::unique_ptr<FaultControl> FaultControl::Attach(const std::string& path, std::string* error) {
  return Open(path, false, error);
}

std::unique_ptr<FaultControl> FaultControl::Open(const std::string& path, bool create,
                                                 std::string* error) {
  std::unique_ptr<FaultControl> control(new FaultControl());
  control->target_ = SoftHsmSandbox::ModulePath();
  control->path_ = path;
  control->block_ = MapControlFile(path, create, error);
  if (control->block_ == nullptr) return nullptr;
  return control;
}

FaultControl::~FaultControl() {
  if (!dir_.empty()) Clear();  // only the owner tidies up; a tool's rules outlive the tool
  for (const auto& [name, value] : saved_environment_) {
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
  // Modules in this process keep their own mapping; the file itself can go.
  munmap(block_, sizeof(ControlBlock));
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string FaultControl::ModulePath() { return XKS_FAULT_PKCS11_MODULE; }

std::vector<std::pair<std::string, std::string>> FaultControl::Environment() const {
  return {{"XKS_FAULT_PKCS11_TARGET", target_}, {"XKS_FAULT_PKCS11_CONTROL", path_}};
}

void FaultControl::ExportEnvironment() {
  for (const auto& [name, value] : Environment()) {
    const char* previous = std::getenv(name.c_str());
    saved_environment_.emplace_back(
        name, previous != nullptr ? std::optional<std::string>(previous) : std::nullopt);
    setenv(name.c_str(), value.c_str(), 1);
  }
}

pkcs11::ModuleConfig FaultControl::module_config() const {
  pkcs11::ModuleConfig config;
  config.module = ModulePath();
  return config;
}

FaultControl::RuleId FaultControl::AddRule(FaultAction action, FaultFunction function,
                                           std::uint64_t rv, std::uint64_t value,
                                           const Trigger& trigger) {
  for (std::size_t i = 0; i < block_->rules.size(); ++i) {
    SharedRule& rule = block_->rules[i];
    if (rule.armed.load() != 0) continue;
    RewriteRule(rule, [&](SharedRule& r) {
      r.action.store(static_cast<std::uint32_t>(action), std::memory_order_relaxed);
      r.function.store(static_cast<std::uint32_t>(function), std::memory_order_relaxed);
      r.scoped.store(trigger.token_label.empty() ? 0 : 1, std::memory_order_relaxed);
      fault_pkcs11::StoreLabel(r.label, trigger.token_label);
      r.rv.store(rv, std::memory_order_relaxed);
      r.value.store(value, std::memory_order_relaxed);
      r.every_nth.store(trigger.every_nth == 0 ? 1 : trigger.every_nth, std::memory_order_relaxed);
      r.times.store(trigger.times, std::memory_order_relaxed);
      r.matched.store(0, std::memory_order_relaxed);
      r.fired.store(0, std::memory_order_relaxed);
      r.armed.store(1, std::memory_order_relaxed);
    });
    return static_cast<RuleId>(i);
  }
  Die("no free rule slot (kMaxRules); Remove or Clear rules first");
}

FaultControl::RuleId FaultControl::Fail(FaultFunction function, unsigned long ck_rv,
                                        Trigger trigger) {
  return AddRule(FaultAction::kReturnRv, function, ck_rv, 0, trigger);
}

FaultControl::RuleId FaultControl::AddLatency(FaultFunction function,
                                              std::chrono::microseconds latency, Trigger trigger) {
  return AddRule(FaultAction::kAddLatency, function, 0, static_cast<std::uint64_t>(latency.count()),
                 trigger);
}

FaultControl::RuleId FaultControl::Hang(FaultFunction function, Trigger trigger) {
  return AddRule(FaultAction::kHang, function, 0, 0, trigger);
}

FaultControl::RuleId FaultControl::DeviceRemoved(std::string token_label) {
  constexpr unsigned long kCkrDeviceRemoved = 0x32;  // CKR_DEVICE_REMOVED (no pkcs11.h here)
  return Fail(FaultFunction::kAllCalls, kCkrDeviceRemoved, Trigger::Token(std::move(token_label)));
}

FaultControl::RuleId FaultControl::RefuseLogin(unsigned long ck_rv, Trigger trigger) {
  return Fail(FaultFunction::C_Login, ck_rv, std::move(trigger));
}

FaultControl::RuleId FaultControl::LimitSessions(std::size_t max_open, std::string token_label) {
  return AddRule(FaultAction::kLimitSessions, FaultFunction::C_OpenSession, 0, max_open,
                 Trigger::Token(std::move(token_label)));
}

void FaultControl::Remove(RuleId rule) {
  RewriteRule(block_->rules.at(static_cast<std::size_t>(rule)),
              [](SharedRule& r) { r.armed.store(0, std::memory_order_relaxed); });
}

void FaultControl::Release() {
  for (std::size_t i = 0; i < block_->rules.size(); ++i) {
    if (block_->rules[i].action.load() == static_cast<std::uint32_t>(FaultAction::kHang)) {
      Remove(static_cast<RuleId>(i));
    }
  }
  block_->release_epoch.fetch_add(1, std::memory_order_release);
}

void FaultControl::DropSessions(std::string token_label) {
  block_->drop_sessions_scoped.store(token_label.empty() ? 0 : 1);
  fault_pkcs11::StoreLabel(block_->drop_sessions_label, token_label);
  block_->drop_sessions_epoch.fetch_add(1, std::memory_order_release);
}

void FaultControl::FinaliseUnderneath() {
  block_->finalise_epoch.fetch_add(1, std::memory_order_release);
}

void FaultControl::RequireLoginPerSession(bool required) {
  block_->login_per_session.store(required ? 1 : 0);
}

void FaultControl::GenerateGcmIvInHsm(bool generate) {
  block_->generate_gcm_iv.store(generate ? 1 : 0);
}

void FaultControl::Clear() {
  for (std::size_t i = 0; i < block_->rules.size(); ++i) Remove(static_cast<RuleId>(i));
  RequireLoginPerSession(false);
  GenerateGcmIvInHsm(false);
  block_->release_epoch.fetch_add(1, std::memory_order_release);
}

std::uint64_t FaultControl::Calls(FaultFunction function) const {
  return block_->calls.at(static_cast<std::size_t>(function)).load();
}
std::uint64_t FaultControl::HungCalls() const { return block_->hung_now.load(); }
std::uint64_t FaultControl::FaultsInjected() const { return block_->faults_injected.load(); }
std::uint64_t FaultControl::Fired(RuleId rule) const {
  return block_->rules.at(static_cast<std::size_t>(rule)).fired.load();
}
std::uint64_t FaultControl::SessionsOpen() const { return block_->sessions_open.load(); }
std::uint64_t FaultControl::SessionsDropped() const { return block_->sessions_dropped.load(); }
std::uint64_t FaultControl::TimesFinalisedUnderneath() const {
  return block_->finalised_underneath.load();
}
std::uint64_t FaultControl::GcmIvsGenerated() const { return block_->gcm_ivs_generated.load(); }

bool FaultControl::WaitForHungCalls(std::uint64_t n, std::chrono::milliseconds timeout) const {
  return PollUntil([&] { return HungCalls() >= n; }, timeout);
}

bool FaultControl::WaitForCalls(FaultFunction function, std::uint64_t n,
                                std::chrono::milliseconds timeout) const {
  return PollUntil([&] { return Calls(function) >= n; }, timeout);
}

}  // namespace xks::testing
