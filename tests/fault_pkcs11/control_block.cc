#include "tests/fault_pkcs11/control_block.h"

#include <algorithm>
#include <cstring>

namespace xks::fault_pkcs11 {
namespace {

constexpr std::array<std::string_view, kFunctionCount> kNames = {
#define XKS_FAULT_PKCS11_NAME(name) #name,
    XKS_FAULT_PKCS11_FUNCTIONS(XKS_FAULT_PKCS11_NAME)
#undef XKS_FAULT_PKCS11_NAME
};

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view FunctionName(FaultFunction function) {
  if (function == FaultFunction::kAllCalls) return "all calls";
  if (function == FaultFunction::kAllCryptoCalls) return "all crypto calls";
  const auto index = static_cast<std::size_t>(function);
  return index < kFunctionCount ? kNames[index] : std::string_view("unknown function");
}

std::optional<FaultFunction> FunctionByName(std::string_view name) {
  for (std::size_t i = 0; i < kFunctionCount; ++i) {
    if (kNames[i] == name) return static_cast<FaultFunction>(i);
  }
  return std::nullopt;
}

bool SelectorMatches(FaultFunction selector, FaultFunction function) {
  switch (selector) {
    case FaultFunction::kAllCalls:
      return function != FaultFunction::C_Initialize && function != FaultFunction::C_Finalize &&
             function != FaultFunction::C_GetFunctionList;
    case FaultFunction::kAllCryptoCalls:
      return function >= FaultFunction::C_EncryptInit &&
             function <= FaultFunction::C_GenerateRandom;
    default:
      return selector == function;
  }
}

void StoreLabel(SharedLabel& out, std::string_view label) {
  std::array<char, kLabelBytes> bytes{};
  std::memcpy(bytes.data(), label.data(), std::min(label.size(), kLabelBytes));
  for (std::size_t w = 0; w < out.words.size(); ++w) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + w * sizeof word, sizeof word);
    out.words[w].store(word, std::memory_order_relaxed);
  }
}

bool LabelEquals(const SharedLabel& stored, std::string_view label) {
  std::array<char, kLabelBytes> bytes{};
  for (std::size_t w = 0; w < stored.words.size(); ++w) {
    const std::uint64_t word = stored.words[w].load(std::memory_order_relaxed);
    std::memcpy(bytes.data() + w * sizeof word, &word, sizeof word);
  }
  return Trimmed(std::string_view(bytes.data(), bytes.size())) == Trimmed(label);
}

}  // namespace xks::fault_pkcs11
