#!/usr/bin/env bash
# Soak (issue 16): the real xks-proxy on a SoftHSMv2 tenant under a fixed open-loop rate of
# xks-loadgen for a long time. Checks, and prints: requests and errors (none allowed), the proxy's
# resident memory (VmRSS) after warm-up, at the end and its maximum (the end must stay within a
# bound of the warm-up figure: no growth under a steady load), the audit chain verifies offline,
# and SIGTERM ends the proxy with exit 0 (in an ASan build: and no leak report).
#
#   tools/soak.sh [--minutes N | --seconds N] [--rate R] [--connections C] [--warmup S]
#                 [--samples K] [--summary FILE]
#
#   --minutes N      measured load (default 60); --seconds N for short runs (tests/e2e/soak_test.sh)
#   --rate R         open-loop requests/s (default 300: leaves most of a core for other work)
#   --connections C  keep-alive connections of the load generator (default 8)
#   --warmup S       seconds of load before the first RSS figure and the measured window (default 30)
#   --samples K      RSS samples over the measured window (default 60)
#   --summary FILE   also write the figures as JSON to FILE
#
# Binaries: $XKS_PROXY_BIN, $XKSCTL_BIN, $XKS_LOADGEN_BIN, else those of ${XKS_BUILD_DIR:-build/release}
# (build them first: ninja -C build/release xks-proxy xksctl xks-loadgen). Everything else (tokens,
# configuration, audit log) lives in a temp dir that is removed afterwards (E2E_KEEP=1 keeps it).
# Exit status 0 when every check held, 1 otherwise; the figures are printed either way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

seconds=3600 rate=300 connections=8 warmup=30 samples=60 summary=""
while (($#)); do
  case "$1" in
    --minutes) seconds=$(($2 * 60)); shift ;;
    --seconds) seconds="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --samples) samples="$2"; shift ;;
    --summary) summary="$2"; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((seconds > 0 && rate > 0 && samples > 0 && warmup > 0)) || { echo "soak: bad numbers" >&2; exit 2; }

build="${XKS_BUILD_DIR:-$root/build/release}"
export XKS_PROXY_BIN="${XKS_PROXY_BIN:-$build/proxy/runtime/xks-proxy}"
export XKSCTL_BIN="${XKSCTL_BIN:-$build/tools/xksctl/xksctl}"
XKS_LOADGEN_BIN="${XKS_LOADGEN_BIN:-$build/tools/loadgen/xks-loadgen}"
export XKS_SOURCE_DIR="$root"
for bin in "$XKS_PROXY_BIN" "$XKSCTL_BIN" "$XKS_LOADGEN_BIN"; do
  [[ -x "$bin" ]] || { echo "soak: $bin is missing (build it first)" >&2; exit 2; }
done
# ASan keeps freed memory in a quarantine (256 MiB by default) before reusing it, so under ASan the
# RSS would climb for minutes whatever the proxy does. A small one fills during the warm-up and the
# bound then measures the proxy again; use-after-free detection still works for recent frees.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

# The tests' helpers: temp dir with SoftHSM tokens, provisioning, proxy start/stop, audit verify.
source "$root/tests/e2e/lib.sh"

e2e_config_init
e2e_add_tenant soak /soak
xksctl key create soak soak-key >/dev/null
e2e_start_proxy
e2e_secret_file soak "$SOAK_SECRET"

started="$(date -u +%FT%TZ)"
rss_start="$(e2e_proxy_rss_kib)"
"$XKS_LOADGEN_BIN" --url "$ENDPOINT/soak" --key-id soak-key --access-key-id "$SOAK_AKID" \
  --secret-file "$SECRET_FILE" --ca-file "$E2E_DIR/tls-cert.pem" --rate "$rate" \
  --connections "$connections" --warmup "${warmup}s" --duration "${seconds}s" \
  --json "$E2E_DIR/load.json" >"$E2E_DIR/load.out" 2>"$E2E_DIR/load.err" &
load_pid=$!
sleep "$warmup"
rss_warm="$(e2e_proxy_rss_kib)"
rss_max="$rss_warm"
echo "soak: $started, $rate requests/s for ${seconds}s after ${warmup}s of warm-up;" \
  "RSS at start ${rss_start} KiB, after warm-up ${rss_warm} KiB"
# Samples spread over the window; the last one is taken as the window closes.
for i in $(seq 1 "$samples"); do
  sleep "$(awk -v s="$seconds" -v k="$samples" 'BEGIN {printf "%.3f", s / k}')"
  rss="$(e2e_proxy_rss_kib)"
  ((rss > rss_max)) && rss_max="$rss"
  echo "$i $rss" >>"$E2E_DIR/rss.samples"
done
rss_end="$rss"
load_rc=0
wait "$load_pid" || load_rc=$?
json="$E2E_DIR/load.json"
[[ -s "$json" ]] || fail "xks-loadgen wrote no result (exit $load_rc): $(cat "$E2E_DIR/load.err")"
requests="$(jq .total.count "$json")"
errors="$(jq '.total.errors + ([.transport_errors[]] | add // 0)' "$json")"

audit="verified"
# e2e_stop_proxy would stop at a failure; the figures are printed first.
kill -TERM "$PROXY_PID"
e2e_stop_proxy_rc=0
wait "$PROXY_PID" || e2e_stop_proxy_rc=$?
PROXY_PID=""
# Verified once the proxy has closed its chain (the last checkpoint is written at shutdown).
( e2e_verify_audit ) >"$E2E_DIR/audit-verify.out" 2>&1 || audit="FAILED"
leaks=none
grep -q "Sanitizer" "$E2E_DIR/proxy.log" && leaks="$(grep -m1 "Sanitizer" "$E2E_DIR/proxy.log")"

# The bound: the end may exceed the warm-up figure by a quarter, plus 16 MiB for allocator
# caches that a longer run touches once (docs/soak.md has the measured figures).
rss_bound=$((rss_warm + rss_warm / 4 + 16384))
cat <<EOF
soak: requests $requests, errors $errors ($(jq -c '{errors, transport_errors}' "$json")),
soak: rate achieved $(jq .total.rps "$json") ok/s, latency_us $(jq -c .total.latency_us "$json")
soak: RSS KiB start $rss_start, after warm-up $rss_warm, end $rss_end, max $rss_max (bound $rss_bound)
soak: audit verify: $audit ($(tail -n 1 "$E2E_DIR/audit-verify.out"))
soak: SIGTERM exit: $( ((e2e_stop_proxy_rc == 0)) && echo 0 || echo "$e2e_stop_proxy_rc"), sanitizer report: $leaks
EOF
if [[ -n "$summary" ]]; then
  jq -n --arg started "$started" --argjson rate "$rate" --argjson seconds "$seconds" \
    --argjson requests "$requests" --argjson errors "$errors" --argjson start "$rss_start" \
    --argjson warm "$rss_warm" --argjson rend "$rss_end" --argjson rmax "$rss_max" \
    --arg audit "$audit" --arg leaks "$leaks" --argjson stop "$e2e_stop_proxy_rc" \
    --slurpfile load "$json" \
    '{started: $started, rate: $rate, seconds: $seconds, requests: $requests, errors: $errors,
      rss_kib: {start: $start, after_warmup: $warm, "end": $rend, max: $rmax}, audit_verify: $audit,
      sigterm_exit_ok: ($stop == 0), sanitizer_report: $leaks, loadgen: $load[0]}' >"$summary"
fi

((load_rc == 0 && errors == 0)) || fail "the load had errors (xks-loadgen exit $load_rc)"
scheduled="$(jq .open_loop.scheduled "$json")"
((requests >= scheduled - 1)) || fail "only $requests of the $scheduled scheduled requests were sent"
((rss_end <= rss_bound)) || fail "RSS grew from $rss_warm KiB to $rss_end KiB (bound $rss_bound)"
[[ "$audit" == verified ]] || fail "audit verify: $(cat "$E2E_DIR/audit-verify.out")"
((e2e_stop_proxy_rc == 0)) || fail "xks-proxy exited $e2e_stop_proxy_rc on SIGTERM (expected 0)"
[[ "$leaks" == none ]] || fail "sanitizer report in the proxy log: $leaks"
echo "soak: all checks passed"
