# shellcheck shell=bash
# Shared by tests/packaging/*_test.sh: a scratch directory removed on exit, failures that say what
# was expected, and the skip exit code CTest knows (SKIP_RETURN_CODE 77 in CMakeLists.txt).
set -euo pipefail

: "${XKS_BUILD_DIR:?}" "${XKS_SOURCE_DIR:?}"
PKG_DIR="$(mktemp -d /tmp/xks-packaging.XXXXXX)"
trap 'rm -rf "$PKG_DIR"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
skip() { echo "SKIP: $*"; exit 77; }

# need_tool TOOL PACKAGE: skip when TOOL is not installed.
need_tool() {
  command -v "$1" >/dev/null || skip "$1 is not installed (Debian package $2, see tools/install-deps.sh)"
}

# expect_file PATH [MODE]: PATH is a regular file (with octal MODE when given).
expect_file() {
  [[ -f "$1" ]] || fail "missing file $1"
  if [[ $# -gt 1 ]]; then
    local mode
    mode="$(stat -c %a "$1")"
    [[ "$mode" == "$2" ]] || fail "$1 has mode $mode, expected $2"
  fi
}

# expect_programs DIR: every program of this build (XKS_PROGRAMS) is an executable in DIR.
expect_programs() {
  local entry
  for entry in $XKS_PROGRAMS; do
    [[ -x "$1/${entry%%=*}" ]] || fail "program ${entry%%=*} is not installed in $1"
  done
  pass "programs in $1: $(for e in $XKS_PROGRAMS; do printf '%s ' "${e%%=*}"; done)"
}

# expect_exposure_ok UNIT: `systemd-analyze security --offline=true` rates UNIT "OK" or better,
# and at most XKS_MAX_EXPOSURE. "OK" spans 2.0 to 4.9 (the unit without NoNewPrivileges, its
# capability bounding and its system call filter is still "OK" at 4.6), so the ceiling keeps
# the hardening from eroding unnoticed: the unit scores 1.1 on Debian 12's systemd 252.
XKS_MAX_EXPOSURE="${XKS_MAX_EXPOSURE:-2.0}"
expect_exposure_ok() {
  local report level score
  report="$(systemd-analyze security --offline=true "$1" 2>&1)" || true
  level="$(grep -o 'Overall exposure level for [^:]*: [0-9.]* [A-Z]*' <<<"$report" | tail -n 1)"
  [[ -n "$level" ]] || fail "no overall exposure level in: $report"
  score="$(awk '{print $(NF - 1)}' <<<"$level")"
  case "${level##* }" in
    PERFECT | SAFE | OK) ;;
    *) echo "$report" >&2; fail "exposure got worse than OK: $level" ;;
  esac
  if awk -v s="$score" -v m="$XKS_MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
    echo "$report" >&2
    fail "exposure $score is above the ceiling $XKS_MAX_EXPOSURE: $level"
  fi
  pass "$level (ceiling $XKS_MAX_EXPOSURE)"
}
