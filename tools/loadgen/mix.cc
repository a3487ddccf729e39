#include "tools/loadgen/mix.h"

#include <charconv>
#include <numeric>

namespace xks::loadgen {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kEncrypt:
      return "encrypt";
    case Op::kDecrypt:
      return "decrypt";
    case Op::kMetadata:
      return "metadata";
    case Op::kHealth:
      return "health";
  }
  return "?";
}

std::optional<Op> OpFromName(std::string_view name) {
  for (Op op : kAllOps) {
    if (OpName(op) == name) return op;
  }
  return std::nullopt;
}

unsigned Mix::Total() const { return std::accumulate(weights.begin(), weights.end(), 0u); }

std::string Mix::ToString() const {
  std::string out;
  for (Op op : kAllOps) {
    if (Weight(op) == 0) continue;
    if (!out.empty()) out += ',';
    out.append(OpName(op)).append("=").append(std::to_string(Weight(op)));
  }
  return out;
}

Result<Mix, std::string> ParseMix(std::string_view text) {
  constexpr unsigned kMaxWeight = 1000000;
  Mix mix;
  std::array<bool, kOpCount> seen{};
  if (text.ends_with(',')) return Fail(std::string("a trailing ','"));
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Fail("'" + std::string(item) + "' is not name=weight");
    }
    const auto op = OpFromName(item.substr(0, eq));
    if (!op) {
      return Fail("unknown operation '" + std::string(item.substr(0, eq)) +
                  "' (encrypt, decrypt, metadata, health)");
    }
    const std::string_view number = item.substr(eq + 1);
    unsigned weight = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), weight);
    if (ec != std::errc() || end != number.data() + number.size() || number.empty() ||
        weight > kMaxWeight) {
      return Fail("weight of " + std::string(OpName(*op)) + " must be an integer 0.." +
                  std::to_string(kMaxWeight));
    }
    const auto i = static_cast<std::size_t>(*op);
    if (seen[i]) return Fail(std::string(OpName(*op)) + " is named twice");
    seen[i] = true;
    mix.weights[i] = weight;
  }
  if (mix.Total() == 0) return Fail(std::string("the weights add up to 0"));
  return mix;
}

std::vector<Op> MixCycle(const Mix& mix) {
  unsigned divisor = 0;
  for (unsigned w : mix.weights) divisor = std::gcd(divisor, w);
  if (divisor == 0) return {};
  std::array<long long, kOpCount> credit{};
  const auto total = static_cast<long long>(mix.Total() / divisor);
  std::vector<Op> cycle;
  cycle.reserve(static_cast<std::size_t>(total));
  for (long long slot = 0; slot < total; ++slot) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < kOpCount; ++i) {
      credit[i] += mix.weights[i] / divisor;
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= total;
    cycle.push_back(kAllOps[best]);
  }
  return cycle;
}

}  // namespace xks::loadgen
