#!/usr/bin/env bash
# Short (or long) libFuzzer run of every fuzz target (tests/fuzz, docs/fuzzing.md). Configures
# build/fuzz with clang-14 and -DXKS_FUZZ=ON (ASan + UBSan + coverage; tools/install-fuzz-deps.sh
# installs the compiler), builds the fuzz_<target> programs and runs each in turn, niced, for the
# given time, one process each. New inputs go to a scratch corpus (build/fuzz/new-corpus/<target>);
# the repository's corpus is only read unless --merge. Prints one line per target.
#   tools/fuzz.sh [--seconds N | --long] [--target NAME]... [--merge] [-j N]
#     --seconds N  time per target (default 30); --long: one hour per target
#     --target     only these targets (repeatable); default: every tests/fuzz/*_fuzz.cc
#     --merge      afterwards, add the scratch inputs that bring new coverage to tests/fuzz/corpus/
#     -j N         build jobs (default 2)
# Exit status: 0 when no target found anything; 1 when any crashed, leaked, timed out, ran out of
# memory or hit undefined behaviour (the input is in build/fuzz/artifacts/<target>/); 2 on usage
# or build errors.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=30 jobs=2 merge=0 targets=()
while (($# > 0)); do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --long) seconds=3600; shift ;;
    --target) targets+=("${2:?--target needs a name}"); shift 2 ;;
    --merge) merge=1; shift ;;
    -j) jobs="${2:?-j needs a number}"; shift 2 ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for f in "$root"/tests/fuzz/*_fuzz.cc; do
    t="$(basename "$f" _fuzz.cc)"
    targets+=("$t")
  done
fi
for t in "${targets[@]}"; do
  [ -f "$root/tests/fuzz/${t}_fuzz.cc" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
done
command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 missing: tools/install-fuzz-deps.sh" >&2; exit 2; }

build="$root/build/fuzz"
gen=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DXKS_FUZZ=ON -DXKS_BUILD_BENCHMARKS=OFF -DCMAKE_UNITY_BUILD=ON >/dev/null || exit 2
nice -n 10 cmake --build "$build" -j "$jobs" -t "${targets[@]/#/fuzz_}" || exit 2

# Every finding stops the run as an error: a leak (detect_leaks), UB (halt_on_error), a slow input
# (-timeout, seconds per input), memory (-rss_limit_mb). Suppressions: third-party modules only.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for t in "${targets[@]}"; do
  scratch="$build/new-corpus/$t" artifacts="$build/artifacts/$t" log="$build/logs/$t.log"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  set +e
  nice -n 10 "$build/tests/fuzz/fuzz_$t" "$scratch" "$root/tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -error_exitcode=77 -timeout_exitcode=78 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  last="$(grep -E '^#[0-9]+' "$log" | tail -n1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")"
  if ((rc == 0)); then
    verdict=ok
  else
    verdict="FOUND(exit $rc) $(ls -t "$artifacts" 2>/dev/null | head -n1) log=$log"
    status=1
  fi
  printf '%-20s %s execs=%s exec/s=%s cov=%s ft=%s corpus=%s\n' "$t" "$verdict" \
    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  if ((merge && rc == 0)); then
    nice -n 10 "$build/tests/fuzz/fuzz_$t" -merge=1 "$root/tests/fuzz/corpus/$t" "$scratch" \
      >"$build/logs/$t.merge.log" 2>&1 || status=1
  fi
done
exit "$status"
