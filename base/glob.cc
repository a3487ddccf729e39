#include "base/glob.h"

namespace xks {
namespace {

// `segment` (with '?' for any one character) equals text[at, at + segment.size()).
bool SegmentMatchesAt(std::string_view segment, std::string_view text, std::size_t at) {
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '?' && segment[i] != text[at + i]) return false;
  }
  return true;
}

// The leftmost position >= from where `segment` matches inside text[from, limit), or npos.
std::size_t FindSegment(std::string_view segment, std::string_view text, std::size_t from,
                        std::size_t limit) {
  if (limit < segment.size()) return std::string_view::npos;
  for (std::size_t at = from; at + segment.size() <= limit; ++at) {
    if (SegmentMatchesAt(segment, text, at)) return at;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<Glob> Glob::Compile(std::string_view pattern, std::string* problem) {
  // Written in place, never moved: GCC 12 warns falsely (-Warray-bounds) on moving these
  // strings out of an inlined temporary.
  auto refuse = [problem](std::string_view why) -> std::optional<Glob> {
    if (problem != nullptr) problem->assign(why);
    return std::nullopt;
  };
  if (pattern.empty()) return refuse("empty — give a value or a pattern such as k-*");
  if (pattern.size() > kMaxPatternLength) {
    return refuse("longer than 2048 characters — shorten the pattern (use * for a long part)");
  }
  Glob glob;
  glob.pattern_ = std::string(pattern);
  std::string segment;
  for (char ch : pattern) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte == 0x7f) {
      return refuse("contains a control character — remove it");
    }
    if (ch == '[' || ch == ']' || ch == '{' || ch == '}' || ch == '\\') {
      if (problem != nullptr) {
        problem->assign("contains '");
        problem->push_back(ch);
        problem->append(
            "' — only * (any characters) and ? (one character) are wildcards; character "
            "classes, alternatives and escapes are not supported");
      }
      return std::nullopt;
    }
    if (ch == '*') {
      glob.segments_.push_back(std::move(segment));
      segment.clear();
      ++glob.stars_;
      continue;
    }
    glob.has_question_ = glob.has_question_ || ch == '?';
    segment.push_back(ch);
    ++glob.min_length_;
  }
  glob.segments_.push_back(std::move(segment));
  return glob;
}

bool Glob::Matches(std::string_view text) const {
  if (text.size() < min_length_) return false;
  if (stars_ == 0) {
    return text.size() == min_length_ && SegmentMatchesAt(segments_.front(), text, 0);
  }
  // The first segment is anchored at the start, the last at the end; the middle ones float.
  const std::string& first = segments_.front();
  const std::string& last = segments_.back();
  if (!SegmentMatchesAt(first, text, 0)) return false;
  const std::size_t tail = text.size() - last.size();
  if (!SegmentMatchesAt(last, text, tail)) return false;
  std::size_t at = first.size();
  for (std::size_t i = 1; i + 1 < segments_.size(); ++i) {
    const std::string& middle = segments_[i];
    if (middle.empty()) continue;  // "**"
    const std::size_t found = FindSegment(middle, text, at, tail);
    if (found == std::string_view::npos) return false;
    at = found + middle.size();
  }
  return at <= tail;
}

}  // namespace xks
