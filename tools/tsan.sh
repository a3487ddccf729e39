#!/usr/bin/env bash
# ThreadSanitizer run of the tests that exercise threads: the server (listener, connection
# registry, worker pool, priority lanes), the PKCS#11 session pool and SoftHSM concurrency, the
# audit group-commit writer, the health monitor, the tenant registry reload and the SigV4 verifier.
# Configures build/tsan (-DXKS_TSAN=ON), builds only those test programs, runs each one under TSan
# with tests/tsan.supp (third-party modules only) and prints one result line.
#   tools/tsan.sh [-j N]      (default: -j 2, niced; the build is a full extra configuration)
# Exit status: 0 when every program passed with no TSan report, 1 otherwise. Logs: build/tsan/tsan-logs/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs=2
per_program_timeout="${XKS_TSAN_TIMEOUT:-1200}"  # seconds per test program
if [ "${1:-}" = "-j" ] && [ -n "${2:-}" ]; then jobs="$2"; fi
build="$root/build/tsan"
logs="$build/tsan-logs"

# The programs, by CMake target (each is a GoogleTest executable run as a whole).
targets=(
  server_unit_test          # proxy/server: connection registry, worker pool, signals
  server_socket_test        # tests/server: the Beast server over TLS, limits, lanes, mTLS
  pkcs11_session_pool_test  # pkcs11/: session leases, drain and re-initialize (SoftHSM)
  pkcs11_softhsm_test       # tests/pkcs11: concurrency and recovery on SoftHSM
  audit_log_test            # proxy/audit: the group-commit writer thread
  api_unit_test             # proxy/api: health monitor, auth failure tracker
  tenant_unit_test          # proxy/tenant: registry reload while readers hold snapshots
  auth_verifier_test        # proxy/auth: concurrent verification through the signing-key cache
)

gen=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXKS_WERROR=ON \
  -DXKS_TSAN=ON -DXKS_SANITIZE=OFF -DXKS_BUILD_BENCHMARKS=OFF >/dev/null
nice -n 10 cmake --build "$build" -j "$jobs" -t "${targets[@]}"

mkdir -p "$logs"
# halt_on_error=0: collect every report of a program; exitcode=66 marks a run that reported.
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1:history_size=4"
clean=() raced=() failed=()
for t in "${targets[@]}"; do
  bin="$(find "$build" -name "$t" -type f -perm -u+x | head -n1)"
  log="$logs/$t.log"
  set +e
  # TSan slows a program 5-15x; a hang is reported as a failure, not waited on forever.
  timeout "$per_program_timeout" nice -n 10 "$bin" --gtest_brief=1 >"$log" 2>&1
  rc=$?
  set -e
  reports=$(grep -c '^WARNING: ThreadSanitizer' "$log" || true)
  if ((reports > 0)); then
    raced+=("$t($reports)")
  elif ((rc != 0)); then
    failed+=("$t(exit $rc)")
  else
    clean+=("$t")
  fi
  echo "tsan.sh: $t: exit $rc, $reports TSan report(s) (log: ${log#"$root"/})" >&2
done

if ((${#raced[@]} == 0 && ${#failed[@]} == 0)); then
  echo "tsan.sh: PASS: ${#targets[@]} programs, no ThreadSanitizer reports"
  exit 0
fi
echo "tsan.sh: FAIL: ${#clean[@]}/${#targets[@]} clean; races: ${raced[*]:-none}; test failures: ${failed[*]:-none}"
exit 1
