#!/usr/bin/env bash
# Every program of this build: `--version` prints "<name> <version> (<revision>)" (the revision
# only when CMake found one) on stdout and exits 0, and `--help` exits 0 with a usage text on
# stdout that names --version and --help.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${XKS_PROGRAMS:?}" "${XKS_EXPECTED_VERSION:?}"

count=0
for entry in $XKS_PROGRAMS; do
  name="${entry%%=*}"
  bin="${entry#*=}"
  expected="$name $XKS_EXPECTED_VERSION"
  [[ -n "${XKS_EXPECTED_REVISION:-}" ]] && expected+=" ($XKS_EXPECTED_REVISION)"
  rc=0
  out="$("$bin" --version 2>"$PKG_DIR/err")" || rc=$?
  ((rc == 0)) || fail "$name --version exited $rc: $(cat "$PKG_DIR/err")"
  [[ "$out" == "$expected" ]] || fail "$name --version printed '$out', expected '$expected'"
  rc=0
  help="$("$bin" --help 2>"$PKG_DIR/err")" || rc=$?
  ((rc == 0)) || fail "$name --help exited $rc: $(cat "$PKG_DIR/err")"
  [[ "$help" == *usage:* ]] || fail "$name --help printed no usage: $help"
  for option in --version --help; do
    [[ "$help" == *"$option"* ]] || fail "$name --help does not list $option"
  done
  pass "$name: '$out'; --help lists --version and --help"
  count=$((count + 1))
done
((count == 5)) || fail "expected the five programs, this build has $count: $XKS_PROGRAMS"
