#pragma once
// The operations xks-loadgen sends and the weighted mix of them (--mix encrypt=70,decrypt=25,...).
// Thread safety: plain values.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace xks::loadgen {

/// The XKS operations of the mix (spec sections Encrypt, Decrypt, GetKeyMetadata, GetHealthStatus).
enum class Op : std::uint8_t { kEncrypt, kDecrypt, kMetadata, kHealth };
inline constexpr std::size_t kOpCount = 4;
inline constexpr std::array<Op, kOpCount> kAllOps = {Op::kEncrypt, Op::kDecrypt, Op::kMetadata,
                                                     Op::kHealth};

/// "encrypt", "decrypt", "metadata", "health".
std::string_view OpName(Op op);
std::optional<Op> OpFromName(std::string_view name);

/// Relative weights of the operations; at least one is positive.
struct Mix {
  std::array<unsigned, kOpCount> weights{};

  unsigned Weight(Op op) const { return weights[static_cast<std::size_t>(op)]; }
  unsigned Total() const;
  /// "encrypt=70,decrypt=25,metadata=5" (operations of weight 0 left out).
  std::string ToString() const;
};

/// Parses "name=weight[,name=weight...]": names from OpName, weights non-negative integers up to
/// 1000000, each name at most once, a positive sum. Unnamed operations get weight 0. The error
/// says what is wrong, for a usage message.
Result<Mix, std::string> ParseMix(std::string_view text);

/// A cycle of operations in which each appears exactly its weight's share, spread evenly (each
/// slot goes to the operation furthest behind its share, smooth weighted round-robin), so a short
/// run or a small window of the cycle already has the configured proportions. Its length is the
/// sum of the weights divided by their greatest common divisor.
std::vector<Op> MixCycle(const Mix& mix);

}  // namespace xks::loadgen
