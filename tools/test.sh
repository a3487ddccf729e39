#!/usr/bin/env bash
# The whole test command (README, .ci/run): installs dependencies, builds a normal and an
# ASan+UBSan configuration, and runs the full CTest suite in both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/tools/install-deps.sh"

jobs="${XKS_JOBS:-$(nproc)}"
# Sanitizer settings for the ASan+UBSan build (ignored by the normal one). The suppression file
# names only leaks inside third-party PKCS#11 modules.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
run_config() {
  local name="$1"; shift
  echo "=== [$name] configure + build ==="
  # Ninja (package ninja-build) schedules the -j jobs across targets better than recursive make;
  # an existing build directory keeps the generator it was configured with.
  local gen=()
  if [ ! -f "$root/build/$name/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
  # Unity sources (CMake's own, batches of 8 files): the heavy headers (Beast, json, GoogleTest)
  # are compiled once per batch rather than once per file, which takes 40 % off the CPU time of
  # both builds and keeps the whole command inside CI's budget. A plain build (no unity) stays
  # what `cmake -S . -B build` gives everyone else, so each file still compiles on its own there.
  cmake -S "$root" -B "$root/build/$name" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXKS_WERROR=ON -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null
  cmake --build "$root/build/$name" -j "$jobs"
  echo "=== [$name] test ==="
  if ! ctest --test-dir "$root/build/$name" --output-on-failure -j "$jobs" --timeout 900; then
    status=1
  fi
}

run_config release
run_config asan -DXKS_SANITIZE=ON -DXKS_BUILD_BENCHMARKS=OFF
if ((status == 0)); then echo "test.sh: all configurations passed"; else echo "test.sh: FAILURES"; fi
exit "$status"
