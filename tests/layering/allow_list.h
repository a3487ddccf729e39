#pragma once
// The allow-list of known layering violations (tests/layering/allow_list.txt). It may only
// shrink: an entry that no longer matches a violation is itself a failure, so a fixed edge
// cannot come back unnoticed.

#include <string>
#include <string_view>
#include <vector>

#include "tests/layering/layering_rules.h"

namespace xks::layering {

// The result of holding the violations found against the allow-list.
struct AllowListVerdict {
  std::vector<Violation> unlisted;  // violations with no entry: the test fails on each
  std::vector<std::string> stale;   // entries (keys) that match no violation: also failures
};

// The entry keys of an allow-list text: one "file -> header" per line; `#` starts a comment,
// blank lines are ignored. Duplicate keys are kept once.
std::vector<std::string> ParseAllowList(std::string_view text);

// Splits `found` into unlisted violations and stale entries. One entry covers every violation
// with its key (the same header included twice from one file).
AllowListVerdict ApplyAllowList(const std::vector<Violation>& found,
                                const std::vector<std::string>& entries);

// The allow-list text that makes `found` pass exactly: the file's header comment, then one
// sorted line per key with its rule as a comment. What `layering_check --print-allow-list` prints.
std::string FormatAllowList(const std::vector<Violation>& found);

}  // namespace xks::layering
