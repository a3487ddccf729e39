#!/usr/bin/env bash
# Checks that C++ sources follow .clang-format (clang-format 14, from tools/install-deps.sh).
#   tools/check-format.sh                   every tracked .cc/.h file
#   tools/check-format.sh --changed [BASE]  only files changed since BASE (default: main), including
#                                           uncommitted edits
# Prints nothing and exits 0 when clean; otherwise lists each file with the number of lines
# clang-format would change and exits 1. It never rewrites a file: run `clang-format -i FILE`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

formatter="$(command -v clang-format-14 || command -v clang-format || true)"
if [ -z "$formatter" ]; then
  echo "check-format: clang-format not found (tools/install-deps.sh installs clang-format)" >&2
  exit 2
fi

files=()
if [ "${1:-}" = "--changed" ]; then
  base="${2:-main}"
  mapfile -t files < <({
    git diff --name-only --diff-filter=ACMR "$(git merge-base HEAD "$base")" -- '*.cc' '*.h'
    git diff --name-only --diff-filter=ACMR HEAD -- '*.cc' '*.h'
    git ls-files --others --exclude-standard -- '*.cc' '*.h'
  } | sort -u)
elif [ $# -eq 0 ]; then
  mapfile -t files < <(git ls-files -- '*.cc' '*.h')
else
  echo "usage: tools/check-format.sh [--changed [BASE]]" >&2
  exit 2
fi

bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  # --style=file: the repository's .clang-format; diff counts the lines that would change.
  n=$("$formatter" --style=file "$f" | diff "$f" - | grep -c '^[<>]' || true)
  if ((n > 0)); then bad+=("$f ($n lines)"); fi
done

if ((${#bad[@]} > 0)); then
  echo "check-format: ${#bad[@]} of ${#files[@]} file(s) differ from .clang-format:"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
