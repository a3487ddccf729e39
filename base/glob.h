#pragma once
// Glob patterns with two wildcards only: '*' (any run of characters, also none) and '?' (exactly
// one character). Everything else matches itself, byte for byte (case-sensitive). Used by the
// tenant policies (tenants[].policy) for key ids and requestMetadata values such as ARNs.
//
// A pattern is compiled once (at configuration load) into its literal segments between the stars;
// matching places the segments left to right, each at its leftmost position, which is correct for
// '*'-separated patterns and needs no backtracking: the cost is at most O(pattern x text), never
// exponential, whatever the pattern. Value type; a compiled Glob is immutable and thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xks {

class Glob {
 public:
  /// Longest pattern accepted (an ARN is at most 2048 characters; a pattern is no longer).
  static constexpr std::size_t kMaxPatternLength = 2048;

  /// Compiles `pattern`; nullopt when it is invalid, with why in `*problem` (one sentence,
  /// "problem — fix") when given: empty, longer than kMaxPatternLength, a control character, or
  /// one of the characters other glob dialects treat as syntax ('[', ']', '{', '}', '\\'),
  /// which would silently match only themselves here. (Not a Result<Glob, std::string>: GCC 12
  /// warns falsely, -Warray-bounds, on moving that string through the variant.)
  static std::optional<Glob> Compile(std::string_view pattern, std::string* problem = nullptr);

  /// True when the whole of `text` matches the pattern.
  bool Matches(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }
  /// No wildcard: the pattern matches exactly itself.
  bool is_literal() const { return stars_ == 0 && !has_question_; }

 private:
  Glob() = default;
  std::string pattern_;
  /// The pieces between the stars, in order (may be empty, e.g. for "*x" the first is "").
  std::vector<std::string> segments_;
  std::size_t stars_ = 0;
  std::size_t min_length_ = 0;  ///< characters every match needs (all segments together)
  bool has_question_ = false;
};

}  // namespace xks
