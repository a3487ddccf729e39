#pragma once
// A small C++ source scanner for the size rules of docs/ARCHITECTURE.md ("no file over 500 lines,
// no function over 80 lines except tables of cases"). It is not a parser: it strips comments,
// string and character literals (raw strings included), then takes every `{` outside a function
// whose text since the previous declaration ends in `)` plus optional qualifiers as the start of a
// function body, and matches braces to find its end. Lambdas and local classes count as part of
// the function that holds them. Good enough for this tree's style; its own tests pin the shapes
// it must get right.

#include <string>
#include <string_view>
#include <vector>

namespace xks::limits {

struct FunctionSpan {
  std::string name;    ///< e.g. "ServerImpl::Start", "TEST_F(ServerTest, X)", "<lambda>"
  int first_line = 0;  ///< the line of the opening brace
  int last_line = 0;   ///< the line of the closing brace
  int lines() const { return last_line - first_line + 1; }
};

/// `source` with comments and the contents of string/character literals replaced by spaces,
/// newlines kept (so line numbers stay right).
std::string StripCommentsAndLiterals(std::string_view source);

/// Every function body in `source` (outermost only), in order.
std::vector<FunctionSpan> FindFunctions(std::string_view source);

/// Number of lines (a last line without a newline counts).
int CountLines(std::string_view source);

}  // namespace xks::limits
