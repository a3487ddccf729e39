#!/usr/bin/env bash
# ThreadSanitizer run of the tests that exercise threads: the server (listener, connection
# registry, worker pool, priority lanes), the PKCS#11 session pool and SoftHSM concurrency, the
# audit group-commit writer, the health monitor, the tenant registry reload and the SigV4 verifier.
# Configures build/tsan (-DXKS_TSAN=ON), builds only those test programs, runs each one under TSan
# with tests/tsan.supp (third-party modules only) and prints one result line.
#   tools/tsan.sh [-j N] [--e2e]   (default: -j 2, niced; the build is a full extra configuration)
# --e2e also builds xks-proxy, xksctl and xks-conformance under TSan and runs tests/e2e/*_test.sh
# against them; every TSan process (proxy, xksctl) writes its reports to tsan-logs/e2e-<test>.<pid>.
# Exit status: 0 when every program passed with no TSan report, 1 otherwise. Logs: build/tsan/tsan-logs/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs=2
per_program_timeout="${XKS_TSAN_TIMEOUT:-1200}"  # seconds per test program
e2e=0
while (($# > 0)); do
  case "$1" in
    -j) jobs="${2:?-j needs a number}"; shift 2 ;;
    --e2e) e2e=1; shift ;;
    *) echo "usage: tools/tsan.sh [-j N] [--e2e]" >&2; exit 2 ;;
  esac
done
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
e2e_targets=()
((e2e)) && e2e_targets=(xks-proxy xksctl xks-conformance)
nice -n 10 cmake --build "$build" -j "$jobs" -t "${targets[@]}" "${e2e_targets[@]}"

mkdir -p "$logs"
# halt_on_error=0: collect every report of a program; exitcode=66 marks a run that reported.
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1:history_size=4"
clean=() raced=() failed=()
# record NAME EXIT REPORTS: files the program under raced, failed or clean.
record() {
  if (($3 > 0)); then raced+=("$1($3)"); elif (($2 != 0)); then failed+=("$1(exit $2)"); else clean+=("$1"); fi
}
binary() { find "$build" -name "$1" -type f -perm -u+x | head -n1; }
for t in "${targets[@]}"; do
  bin="$(binary "$t")"
  log="$logs/$t.log"
  set +e
  # TSan slows a program 5-15x; a hang is reported as a failure, not waited on forever.
  timeout "$per_program_timeout" nice -n 10 "$bin" --gtest_brief=1 >"$log" 2>&1
  rc=$?
  set -e
  reports=$(grep -c '^WARNING: ThreadSanitizer' "$log" || true)
  record "$t" "$rc" "$reports"
  echo "tsan.sh: $t: exit $rc, $reports TSan report(s) (log: ${log#"$root"/})" >&2
done

# The end-to-end scripts, each with the TSan binaries; reports go to files, not the proxy log.
e2e_run() {
  local name="$1" log="$logs/e2e-$1.log" rc reports
  rm -f "$logs/e2e-$name".[0-9]*
  set +e
  XKS_PROXY_BIN="$(binary xks-proxy)" XKSCTL_BIN="$(binary xksctl)" \
    XKS_CONFORMANCE_BIN="$(binary xks-conformance)" \
    XKS_SOURCE_DIR="$root" XKS_BUILD_DIR="$build" \
    TSAN_OPTIONS="$TSAN_OPTIONS:log_path=$logs/e2e-$name" \
    timeout "$per_program_timeout" nice -n 10 bash "$root/tests/e2e/${name}_test.sh" >"$log" 2>&1
  rc=$?
  set -e
  reports=$(cat "$logs/e2e-$name".[0-9]* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
  record "e2e_$name" "$rc" "$reports"
  echo "tsan.sh: e2e_$name: exit $rc, $reports TSan report(s) (logs: ${log#"$root"/}, e2e-$name.<pid>)" >&2
}
programs=${#targets[@]}
if ((e2e)); then
  for script in "$root"/tests/e2e/*_test.sh; do
    name="$(basename "$script" _test.sh)"
    e2e_run "$name"
    programs=$((programs + 1))
  done
fi

if ((${#raced[@]} == 0 && ${#failed[@]} == 0)); then
  echo "tsan.sh: PASS: $programs programs, no ThreadSanitizer reports"
  exit 0
fi
echo "tsan.sh: FAIL: ${#clean[@]}/$programs clean; races: ${raced[*]:-none}; test failures: ${failed[*]:-none}"
exit 1
