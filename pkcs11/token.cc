#include "pkcs11/token.h"

#include <algorithm>
#include <cstring>

#include "pkcs11/log.h"

namespace xks::pkcs11 {
namespace {

std::string Unpad(const unsigned char* field, std::size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// PINs are passed to the module by pointer; the bytes stay in the SecretBytes.
CK_UTF8CHAR_PTR PinPtr(const SecretBytes& pin) { return const_cast<CK_UTF8CHAR_PTR>(pin.data()); }

}  // namespace

HsmResult<std::vector<SlotDescription>> ListSlots(Module& module,
                                                  std::vector<HsmError>* unreadable) {
  CK_ULONG count = 0;
  if (auto r = XKS_CK(module, C_GetSlotList, CK_TRUE, nullptr, &count); !r.ok()) {
    return Fail(std::move(r).error());
  }
  std::vector<CK_SLOT_ID> ids(count + 1);
  if (auto r = XKS_CK(module, C_GetSlotList, CK_TRUE, ids.data(), &count); !r.ok()) {
    return Fail(std::move(r).error());
  }
  ids.resize(count);
  std::vector<SlotDescription> out;
  for (CK_SLOT_ID id : ids) {
    CK_TOKEN_INFO info{};
    auto r = XKS_CK(module, C_GetTokenInfo, id, &info);
    if (!r.ok()) {
      // Removed since C_GetSlotList, or broken: the other slots are still usable.
      if (r.error().ck_rv != CKR_TOKEN_NOT_PRESENT) {
        LogLine("pkcs11: slot " + std::to_string(id) + " skipped: " + r.error().ToLogString());
      }
      if (unreadable != nullptr) unreadable->push_back(std::move(r).error());
      continue;
    }
    SlotDescription slot;
    slot.slot_id = id;
    slot.token_present = true;
    slot.token_initialized = (info.flags & CKF_TOKEN_INITIALIZED) != 0;
    slot.token_label = Unpad(info.label, sizeof info.label);
    slot.token_serial = Unpad(info.serialNumber, sizeof info.serialNumber);
    slot.token_model = Unpad(info.model, sizeof info.model);
    slot.manufacturer = Unpad(info.manufacturerID, sizeof info.manufacturerID);
    out.push_back(std::move(slot));
  }
  return out;
}

HsmResult<SlotDescription> FindToken(Module& module, const TokenSelector& selector) {
  std::vector<HsmError> unreadable;
  auto slots = ListSlots(module, &unreadable);
  if (!slots.ok()) return Fail(std::move(slots).error());
  const SlotDescription* found = nullptr;
  for (const SlotDescription& slot : slots.value()) {
    if (!slot.token_initialized || !selector.Matches(slot)) continue;
    if (found != nullptr) {
      return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument,
                               "more than one token matches; add serial= to the URI"));
    }
    found = &slot;
  }
  if (found == nullptr) {
    // The token may be in a slot that could not be read: say so rather than "no such token".
    for (HsmError& error : unreadable) {
      if (error.ck_rv != CKR_TOKEN_NOT_PRESENT) return Fail(std::move(error));
    }
    return Fail(MakeHsmError(HsmErrorKind::kNotFound, "no matching token"));
  }
  return *found;
}

HsmResult<std::string> InitToken(Module& module, std::string_view label, const SecretBytes& so_pin,
                                 const SecretBytes& user_pin) {
  if (label.empty() || label.size() > 32) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "token label must be 1-32 bytes"));
  }
  if (so_pin.empty() || user_pin.empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty PIN"));
  }
  auto slots = ListSlots(module);
  if (!slots.ok()) return Fail(std::move(slots).error());
  auto free_slot = std::find_if(slots->begin(), slots->end(),
                                [](const SlotDescription& s) { return !s.token_initialized; });
  if (free_slot == slots->end()) {
    return Fail(MakeHsmError(HsmErrorKind::kNotFound, "no slot with an uninitialized token"));
  }
  const CK_SLOT_ID slot = free_slot->slot_id;
  CK_UTF8CHAR padded[32];
  std::memset(padded, ' ', sizeof padded);
  std::memcpy(padded, label.data(), label.size());
  if (auto r = XKS_CK(module, C_InitToken, slot, PinPtr(so_pin), so_pin.size(), padded); !r.ok()) {
    return Fail(std::move(r).error());
  }
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  if (auto r = XKS_CK(module, C_OpenSession, slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                      nullptr, &session);
      !r.ok()) {
    return Fail(std::move(r).error());
  }
  auto result = [&]() -> HsmResult<void> {
    if (auto r = XKS_CK(module, C_Login, session, CKU_SO, PinPtr(so_pin), so_pin.size()); !r.ok()) {
      return r;
    }
    auto r = XKS_CK(module, C_InitPIN, session, PinPtr(user_pin), user_pin.size());
    (void)XKS_CK(module, C_Logout, session);
    return r;
  }();
  (void)XKS_CK(module, C_CloseSession, session);
  if (!result.ok()) return Fail(std::move(result).error());
  CK_TOKEN_INFO info{};
  if (auto r = XKS_CK(module, C_GetTokenInfo, slot, &info); !r.ok()) {
    return Fail(std::move(r).error());
  }
  return Unpad(info.serialNumber, sizeof info.serialNumber);
}

HsmResult<PooledSession> OpenLoggedInSession(Module& module, unsigned long slot,
                                             const SecretBytes& pin) {
  PooledSession out;
  out.generation = module.generation();
  if (auto r = XKS_CK(module, C_OpenSession, slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                      nullptr, &out.handle);
      !r.ok()) {
    return Fail(std::move(r).error());
  }
  CK_SESSION_INFO info{};
  auto state = XKS_CK(module, C_GetSessionInfo, out.handle, &info);
  if (state.ok() && (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS)) {
    return out;
  }
  auto login = XKS_CK(module, C_Login, out.handle, CKU_USER, PinPtr(pin), pin.size());
  if (!login.ok() && login.error().ck_rv != CKR_USER_ALREADY_LOGGED_IN) {
    (void)XKS_CK(module, C_CloseSession, out.handle);
    HsmError error = std::move(login).error();
    if (error.ck_rv == CKR_PIN_INCORRECT || error.ck_rv == CKR_PIN_LOCKED) {
      error.message = "login to the token failed: " + CkRvName(error.ck_rv);
    }
    return Fail(std::move(error));
  }
  return out;
}

}  // namespace xks::pkcs11
