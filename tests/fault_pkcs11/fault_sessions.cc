// The virtual session table, the session cap (kLimitSessions) and the slot → token label cache.

#include "tests/fault_pkcs11/fault_module.h"

namespace xks::fault_pkcs11 {
namespace {

std::string LabelFrom(const CK_TOKEN_INFO& info) {
  std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
  while (!label.empty() && (label.back() == ' ' || label.back() == '\0')) label.pop_back();
  return label;
}

}  // namespace

std::optional<VirtualSession> FaultModule::FindSession(CK_SESSION_HANDLE handle) {
  std::shared_lock lock(sessions_mu_);
  auto it = sessions_.find(handle);
  if (it == sessions_.end()) return std::nullopt;
  return it->second;
}

CK_RV FaultModule::CheckSessionLimits(const std::string& label) {
  ControlBlock& b = block();
  for (SharedRule& rule : b.rules) {
    const std::uint64_t sequence = rule.sequence.load(std::memory_order_acquire);
    if (rule.armed.load() == 0 || (sequence & 1) != 0 ||
        rule.action.load() != static_cast<std::uint32_t>(FaultAction::kLimitSessions)) {
      continue;
    }
    const bool scoped = rule.scoped.load() != 0;
    if (scoped && !LabelEquals(rule.label, label)) continue;
    std::uint64_t open = 0;
    for (const auto& entry : sessions_) {
      if (!entry.second.dropped && (!scoped || entry.second.label == label)) ++open;
    }
    rule.matched.fetch_add(1);
    if (open >= rule.value.load()) {
      rule.fired.fetch_add(1);
      b.faults_injected.fetch_add(1);
      return CKR_SESSION_COUNT;
    }
  }
  return CKR_OK;
}

CK_RV FaultModule::OpenSession(CK_SLOT_ID slot, const std::string& label, CK_FLAGS flags,
                               CK_SESSION_HANDLE* out) {
  if (out == nullptr) return CKR_ARGUMENTS_BAD;
  // The lock spans the real C_OpenSession so that two concurrent opens cannot both pass the cap.
  std::lock_guard lock(sessions_mu_);
  if (CK_RV rv = CheckSessionLimits(label); rv != CKR_OK) return rv;
  CK_SESSION_HANDLE real_handle = CK_INVALID_HANDLE;
  // Notifications are not forwarded: they would carry the real handle (no module uses them).
  const CK_RV rv = real().C_OpenSession(slot, flags, nullptr, nullptr, &real_handle);
  if (rv != CKR_OK) return rv;
  const CK_SESSION_HANDLE handle = next_handle_++;
  sessions_.emplace(handle, VirtualSession{real_handle, slot, label, false, false});
  block().sessions_open.fetch_add(1);
  *out = handle;
  return CKR_OK;
}

void FaultModule::ForgetSession(CK_SESSION_HANDLE handle) {
  std::lock_guard lock(sessions_mu_);
  auto it = sessions_.find(handle);
  if (it == sessions_.end()) return;
  if (!it->second.dropped) block().sessions_open.fetch_sub(1);
  sessions_.erase(it);
}

void FaultModule::ForgetSessionsOfSlot(CK_SLOT_ID slot) {
  std::lock_guard lock(sessions_mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.slot != slot) {
      ++it;
      continue;
    }
    if (!it->second.dropped) block().sessions_open.fetch_sub(1);
    it = sessions_.erase(it);
  }
}

void FaultModule::SetLoggedIn(CK_SESSION_HANDLE handle, bool logged_in) {
  std::lock_guard lock(sessions_mu_);
  if (auto it = sessions_.find(handle); it != sessions_.end()) it->second.logged_in = logged_in;
}

std::string FaultModule::LabelOf(CK_SLOT_ID slot) {
  {
    std::lock_guard lock(labels_mu_);
    if (auto it = labels_.find(slot); it != labels_.end()) return it->second;
  }
  CK_TOKEN_INFO info{};
  {
    std::shared_lock calls(real_calls_);
    if (finalised_.load() || real().C_GetTokenInfo(slot, &info) != CKR_OK) return std::string();
  }
  RememberLabel(slot, info);
  return LabelFrom(info);
}

void FaultModule::RememberLabel(CK_SLOT_ID slot, const CK_TOKEN_INFO& info) {
  std::lock_guard lock(labels_mu_);
  labels_[slot] = LabelFrom(info);
}

void FaultModule::ForgetLabel(CK_SLOT_ID slot) {
  std::lock_guard lock(labels_mu_);
  labels_.erase(slot);
}

}  // namespace xks::fault_pkcs11
