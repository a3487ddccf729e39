#include "tests/limits/source_scanner.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <unordered_map>

namespace xks::limits {
namespace {

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Blanks [from, to) except newlines.
void Blank(std::string& text, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to && i < text.size(); ++i) {
    if (text[i] != '\n') text[i] = ' ';
  }
}

// A raw string starts at `quote` (the '"') when an R, optionally after u8/u/U/L, precedes it and
// is not the end of a longer identifier.
bool IsRawStringStart(const std::string& text, std::size_t quote) {
  if (quote == 0 || text[quote - 1] != 'R') return false;
  std::size_t start = quote - 1;
  if (start >= 2 && text.compare(start - 2, 2, "u8") == 0) {
    start -= 2;
  } else if (start >= 1 &&
             (text[start - 1] == 'u' || text[start - 1] == 'U' || text[start - 1] == 'L')) {
    start -= 1;
  }
  return start == 0 || !IsIdentifierChar(text[start - 1]);
}

// Blanks a literal that starts at `i` (its opening quote) and returns the index after it.
std::size_t SkipQuoted(std::string& text, std::size_t i, char quote) {
  std::size_t j = i + 1;
  while (j < text.size() && text[j] != quote && text[j] != '\n') {
    if (text[j] == '\\') ++j;
    ++j;
  }
  Blank(text, i + 1, std::min(j, text.size()));
  return std::min(j + 1, text.size());
}

std::size_t SkipRawString(std::string& text, std::size_t quote) {
  const std::size_t open = text.find('(', quote);
  if (open == std::string::npos) return text.size();
  const std::string terminator = ")" + text.substr(quote + 1, open - quote - 1) + "\"";
  const std::size_t end = text.find(terminator, open);
  const std::size_t after = end == std::string::npos ? text.size() : end + terminator.size();
  Blank(text, quote + 1, after - 1);
  return after;
}

// Preprocessor lines (with their continuations) hold no function bodies of ours.
void BlankPreprocessorLines(std::string& text) {
  std::size_t line = 0;
  while (line < text.size()) {
    std::size_t first = line;
    while (first < text.size() && (text[first] == ' ' || text[first] == '\t')) ++first;
    std::size_t end = text.find('\n', line);
    if (first < text.size() && text[first] == '#') {
      while (end != std::string::npos && end > line && text[end - 1] == '\\') {
        end = text.find('\n', end + 1);
      }
      Blank(text, line, end == std::string::npos ? text.size() : end);
    }
    if (end == std::string::npos) break;
    line = end + 1;
  }
}

enum class BlockKind { kFunction, kScope, kInitializer, kInner };

std::string Trim(std::string_view text) {
  std::size_t a = 0;
  std::size_t b = text.size();
  while (a < b && std::isspace(static_cast<unsigned char>(text[a])) != 0) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(text[b - 1])) != 0) --b;
  return std::string(text.substr(a, b - a));
}

std::string CollapseSpaces(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool StartsWithWord(std::string_view text, std::string_view word) {
  return text.substr(0, word.size()) == word &&
         (text.size() == word.size() || !IsIdentifierChar(text[word.size()]));
}

// Drops leading `template <...>` clauses and access specifiers.
std::string_view DropPrefixes(std::string_view text) {
  for (bool changed = true; changed;) {
    changed = false;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
      text.remove_prefix(1);
    }
    if (StartsWithWord(text, "template")) {
      std::size_t i = text.find('<');
      int depth = 0;
      for (; i != std::string_view::npos && i < text.size(); ++i) {
        if (text[i] == '<') ++depth;
        if (text[i] == '>' && --depth == 0) break;
      }
      if (i == std::string_view::npos || i >= text.size()) return text;
      text.remove_prefix(i + 1);
      changed = true;
    }
    for (std::string_view access : {"public", "protected", "private"}) {
      if (StartsWithWord(text, access)) {
        const std::size_t colon = text.find(':');
        if (colon != std::string_view::npos) {
          text.remove_prefix(colon + 1);
          changed = true;
        }
      }
    }
  }
  return text;
}

std::size_t FirstTopLevelParen(std::string_view segment) {
  std::size_t paren = segment.find('(');
  // `operator()(...)`: the first pair is the operator's name.
  if (paren != std::string_view::npos && paren >= 8 &&
      Trim(segment.substr(0, paren)).ends_with("operator") && paren + 1 < segment.size() &&
      segment[paren + 1] == ')') {
    paren = segment.find('(', paren + 2);
  }
  return paren;
}

std::size_t StartOfQualifiedName(std::string_view text, std::size_t end) {
  std::size_t start = end;
  while (start > 0 &&
         (IsIdentifierChar(text[start - 1]) || text[start - 1] == ':' || text[start - 1] == '~')) {
    --start;
  }
  return start;
}

// What the `{` after `raw_segment` opens, judged by the declaration text before it.
BlockKind Classify(std::string_view raw_segment) {
  const std::string_view segment = DropPrefixes(raw_segment);
  for (std::string_view scope :
       {"class", "struct", "union", "enum", "namespace", "extern", "inline namespace"}) {
    if (StartsWithWord(segment, scope)) return BlockKind::kScope;
  }
  const std::string trimmed = Trim(segment);
  if (trimmed.empty() || FirstTopLevelParen(trimmed) == std::string::npos) {
    return BlockKind::kInitializer;  // `int x{1}`, `std::array<int, 2> a = {`
  }
  const char last = trimmed.back();
  if (last == ')' || last == '}') return BlockKind::kFunction;  // `}`: after `a_{x}` in a ctor
  if (last == '>') {  // `-> std::optional<int> {` versus `std::vector<int>{`
    return trimmed.find("->") != std::string::npos ? BlockKind::kFunction : BlockKind::kInitializer;
  }
  if (IsIdentifierChar(last)) {  // `f() const {` versus a member initialiser `b_{`
    const std::size_t start = StartOfQualifiedName(trimmed, trimmed.size());
    const std::string_view word = std::string_view(trimmed).substr(start);
    for (std::string_view qualifier :
         {"const", "noexcept", "override", "final", "mutable", "volatile", "try"}) {
      if (word == qualifier) return BlockKind::kFunction;
    }
  }
  return BlockKind::kInitializer;  // `= {`, `return {`, `f({`, `b_{`, `a[] {`
}

std::string FunctionName(std::string_view raw_segment) {
  const std::string segment = Trim(DropPrefixes(raw_segment));
  const std::size_t paren = FirstTopLevelParen(segment);
  if (paren == std::string::npos) return "<unnamed>";
  const std::string before = Trim(std::string_view(segment).substr(0, paren));
  if (before.ends_with("]")) return "<lambda>";
  // `operator==`, `operator()`: the name runs from the class qualifier to the operator's symbol.
  const std::size_t op = before.rfind("operator");
  if (op != std::string::npos && std::none_of(before.begin() + static_cast<std::ptrdiff_t>(op + 8),
                                              before.end(), IsIdentifierChar)) {
    return CollapseSpaces(before.substr(StartOfQualifiedName(before, op)));
  }
  const std::size_t start = StartOfQualifiedName(before, before.size());
  std::string name = before.substr(start);
  // A test macro is named by its arguments too: TEST_F(Suite, Name).
  const bool macro = name.size() > 2 && std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isupper(static_cast<unsigned char>(c)) != 0 || c == '_';
                     });
  if (macro) {
    const std::size_t close = segment.find(')', paren);
    if (close != std::string::npos) {
      name += CollapseSpaces(std::string_view(segment).substr(paren, close - paren + 1));
    }
  }
  return name.empty() ? "<unnamed>" : name;
}

}  // namespace

std::string StripCommentsAndLiterals(std::string_view source) {
  std::string text(source);
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '/' && next == '/') {
      const std::size_t end = text.find('\n', i);
      Blank(text, i, end == std::string::npos ? text.size() : end);
      i = end == std::string::npos ? text.size() : end;
    } else if (c == '/' && next == '*') {
      const std::size_t end = text.find("*/", i + 2);
      const std::size_t after = end == std::string::npos ? text.size() : end + 2;
      Blank(text, i, after);
      i = after;
    } else if (c == '"') {
      i = IsRawStringStart(text, i) ? SkipRawString(text, i) : SkipQuoted(text, i, '"');
    } else if (c == '\'') {
      // A digit separator (1'000'000) is not a character literal.
      if (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1])) != 0) {
        ++i;
      } else {
        i = SkipQuoted(text, i, '\'');
      }
    } else {
      ++i;
    }
  }
  return text;
}

int CountLines(std::string_view source) {
  if (source.empty()) return 0;
  const auto newlines = std::count(source.begin(), source.end(), '\n');
  return static_cast<int>(newlines) + (source.back() == '\n' ? 0 : 1);
}

std::vector<FunctionSpan> FindFunctions(std::string_view source) {
  std::string text = StripCommentsAndLiterals(source);
  BlankPreprocessorLines(text);

  struct Open {
    std::size_t position;
    BlockKind kind;
    int line;
    std::string name;
  };
  std::vector<Open> open;
  std::unordered_map<std::size_t, std::size_t> opening_of_close;  // '}' -> its '{'
  std::unordered_map<std::size_t, BlockKind> kind_of_close;
  std::vector<FunctionSpan> functions;
  int functions_open = 0;
  int line = 1;

  // The declaration text before `{` at `position`: back to the previous ';', enclosing '{' or
  // closed block, skipping brace initialisers (a constructor's `a_{x}` is part of it).
  const auto segment_before = [&](std::size_t position) {
    std::size_t j = position;
    while (j > 0) {
      const char c = text[j - 1];
      if (c == ';' || c == '{') break;
      if (c == '}') {
        const auto kind = kind_of_close.find(j - 1);
        if (kind == kind_of_close.end() || kind->second != BlockKind::kInitializer) break;
        j = opening_of_close.at(j - 1);
        continue;
      }
      --j;
    }
    return std::string_view(text).substr(j, position - j);
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '{') {
      if (functions_open > 0) {
        open.push_back({i, BlockKind::kInner, line, {}});
        continue;
      }
      const std::string_view segment = segment_before(i);
      const BlockKind kind = Classify(segment);
      open.push_back({i, kind, line, kind == BlockKind::kFunction ? FunctionName(segment) : ""});
      if (kind == BlockKind::kFunction) ++functions_open;
    } else if (c == '}' && !open.empty()) {
      Open block = std::move(open.back());
      open.pop_back();
      opening_of_close[i] = block.position;
      kind_of_close[i] = block.kind;
      if (block.kind == BlockKind::kFunction) {
        --functions_open;
        functions.push_back({std::move(block.name), block.line, line});
      }
    }
  }
  return functions;
}

}  // namespace xks::limits
